// The laid-out layer graph as SVG markup: one function, so the Model view and the HTML report draw the
// same picture. Every text comes from the user's model file, so everything is escaped.
import type { GraphLayout } from './graph-layout.ts';

export interface GraphNodeLabel {
  /** First line: the layer's name and op. */
  title: string;
  /** Second line: output shape, receptive field, parameters. */
  detail: string;
  /** Fill colour (CSS); the default is a neutral grey. */
  fill?: string;
  /** Text colour on that fill. */
  ink?: string;
  /** Tooltip: the metric's value and source, say. */
  tooltip?: string;
}

export interface GraphSvgOptions {
  /** Make nodes focusable buttons (the app; the report has no script). */
  interactive?: boolean;
  /** The node drawn as selected. */
  selected?: string | null;
  /** Accessible name of the whole figure. */
  title?: string;
  /** Prefix of the SVG's own ids, unique per figure when a page holds several. */
  idPrefix?: string;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (v: number) => String(Math.round(v * 10) / 10);

/** Cuts a label to about what fits a node (monospace-ish estimate), with an ellipsis. */
function fit(s: string, chars: number): string {
  return s.length <= chars ? s : `${s.slice(0, chars - 1)}…`;
}

export function graphSvg(layout: GraphLayout, labels: ReadonlyMap<string, GraphNodeLabel>, o: GraphSvgOptions = {}): string {
  const parts: string[] = [];
  const arrow = `${o.idPrefix ?? 'lg'}-arrow`;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="layer-graph" width="${fmt(layout.width)}" height="${fmt(layout.height)}" viewBox="0 0 ${fmt(layout.width)} ${fmt(layout.height)}" role="img" aria-label="${escapeXml(o.title ?? 'Layer graph')}">`,
    `<defs><marker id="${arrow}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#666"/></marker></defs>`,
    '<g class="edges" fill="none" stroke="#777" stroke-width="1.3">',
  );
  for (const e of layout.edges) {
    parts.push(`<polyline data-from="${escapeXml(e.from)}" data-to="${escapeXml(e.to)}" points="${e.points.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ')}" marker-end="url(#${arrow})"/>`);
  }
  parts.push('</g><g class="nodes" font-family="system-ui, sans-serif">');
  for (const n of layout.nodes) {
    const l = labels.get(n.id) ?? { title: n.id, detail: '' };
    const sel = o.selected === n.id;
    const attrs = o.interactive ? ` role="button" tabindex="0" aria-label="${escapeXml(`${l.title}. ${l.detail}${l.tooltip ? `. ${l.tooltip}` : ''}`)}"` : '';
    parts.push(
      `<g class="node${sel ? ' selected' : ''}" data-layer="${escapeXml(n.id)}"${attrs} transform="translate(${fmt(n.x)},${fmt(n.y)})">`,
      l.tooltip ? `<title>${escapeXml(l.tooltip)}</title>` : '',
      `<rect width="${n.width}" height="${n.height}" rx="6" fill="${escapeXml(l.fill ?? '#e4e4e4')}" stroke="${sel ? '#1a5fb4' : '#555'}" stroke-width="${sel ? 3 : 1}"/>`,
      `<text x="8" y="17" font-size="12" font-weight="600" fill="${escapeXml(l.ink ?? '#111')}">${escapeXml(fit(l.title, 36))}</text>`,
      `<text x="8" y="33" font-size="10.5" fill="${escapeXml(l.ink ?? '#333')}">${escapeXml(fit(l.detail, 44))}</text>`,
      '</g>',
    );
  }
  parts.push('</g></svg>');
  return parts.join('');
}
