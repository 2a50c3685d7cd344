// The report as one self-contained HTML page: inline CSS, images as data URLs, SVG figures inline, no
// script, and a Content-Security-Policy that forbids loading anything, so it opens from disk anywhere
// and never reaches the network. Every text from the user's files is escaped.
import { graphLabels, legendStops, NOT_APPLICABLE_FILL, NOT_COMPUTED_FILL, shortCount } from '../../../common/graph-labels.ts';
import { layoutGraph } from '../../../common/graph-layout.ts';
import { escapeXml as esc, graphSvg } from '../../../common/graph-svg.ts';
import { shortLayerName } from '../../../common/layer-names.ts';
import type { ReportData, ReportTile } from './gather.ts';
import { COLOURS, lineChart } from './svg-chart.ts';

const png = (bytes: Uint8Array, alt: string, cls = '') => `<img${cls ? ` class="${cls}"` : ''} alt="${esc(alt)}" src="data:image/png;base64,${Buffer.from(bytes).toString('base64')}">`;
const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const name = (id: string) => esc(shortLayerName(id));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111;background:#fff;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:32px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;font-size:12.5px;margin:6px 0}th,td{border:1px solid #ccc;padding:2px 7px;text-align:left;vertical-align:top}th{background:#f1f1f1}
td.num{text-align:right;font-variant-numeric:tabular-nums}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
figure{margin:12px 0;page-break-inside:avoid}figcaption{font-size:12.5px;color:#333;margin-top:4px;max-width:90ch}
.tiles{display:flex;flex-wrap:wrap;gap:6px}.tile{display:flex;flex-direction:column;align-items:center;font-size:11px}.tile img{width:72px;height:72px;image-rendering:pixelated;border:1px solid #999}
.pair{display:flex;gap:18px;flex-wrap:wrap;align-items:flex-start}.pix{image-rendering:pixelated;border:1px solid #999}
.graph{overflow:auto;max-height:900px;border:1px solid #ddd}.legend span.sw{display:inline-block;width:18px;height:11px;border:1px solid #777;vertical-align:middle;margin:0 3px 0 8px}
.muted{color:#555}.flag{color:#a61e1e;font-weight:600}
@media print{.graph{max-height:none;overflow:visible}h2{page-break-after:avoid}body{margin:0}}
`;

function section(id: string, title: string, body: string): string {
  return `<section id="${id}" data-section="${id}"><h2>${esc(title)}</h2>${body}</section>`;
}

function summary(d: ReportData): string {
  const s = d.summary;
  const p = d.provenance;
  const rows = s.layers.map((l) => `<tr><td class="mono">${name(l.id)}</td><td>${esc(l.op)}</td><td class="mono">${esc(l.shape.join('×'))}</td><td class="num">${l.params.toLocaleString('en-US')}</td><td class="mono">${esc(l.receptiveField)}</td></tr>`);
  return section('summary', 'Model summary', `<p><strong>${esc(p.model)}</strong>: ${s.layers.length} layers, ${s.params.toLocaleString('en-US')} parameters, input <code>${esc(s.input)}</code>, ${s.numClasses} classes, opset ${s.opset}${s.producer ? `, ${esc(s.producer)}` : ''}. Folder <code>${esc(p.folder)}</code>: ${p.images} images, ${p.classes} classes.</p>
<table><thead><tr><th>layer</th><th>op</th><th>output shape</th><th>parameters</th><th>receptive field (size / stride, px)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
}

function graphs(d: ReportData): string {
  const s = d.summary;
  const layout = layoutGraph(s.inputName, s.layers);
  const layers = s.layers.map((l) => ({ ...l, receptiveField: null }));
  const figs = d.metrics.map((m, i) => {
    const labels = graphLabels({ name: s.inputName, dims: s.inputDims }, layers, m);
    // The receptive field is in the summary table; nodes carry shape and parameters.
    for (const l of s.layers) {
      const lab = labels.get(l.id)!;
      lab.detail = [`[${l.shape.join('×')}]`, l.receptiveField ? `rf ${l.receptiveField.split(' / ')[0]}` : '', l.params ? `${shortCount(l.params)} params` : ''].filter(Boolean).join(' · ');
    }
    const stops = legendStops(m).map((st) => `<span class="sw" style="background:${st.fill}"></span>${st.value.toFixed(2)}`).join('');
    const table = m.values.length
      ? `<table><thead><tr><th>layer</th><th>${esc(m.title)} (${esc(m.unit)})</th></tr></thead><tbody>${m.values.map((v) => `<tr><td class="mono">${name(v.layer)}</td><td>${esc(v.text)}</td></tr>`).join('')}</tbody></table>`
      : '';
    return `<figure data-metric="${m.name}"><h3>Layer graph coloured by ${esc(m.title.toLowerCase())}</h3>
<p class="legend">${esc(m.unit)} (${m.better === 'low' ? 'lower' : 'higher'} is healthier):${stops}<span class="sw" style="background:${NOT_COMPUTED_FILL}"></span>not computed<span class="sw" style="background:${NOT_APPLICABLE_FILL}"></span>not applicable</p>
<div class="graph">${graphSvg(layout, labels, { title: `Layer graph coloured by ${m.title}`, idPrefix: `g${i}` })}</div>
<figcaption>Source: ${esc(m.source ?? 'not computed in this report')}.${m.missing ? ` ${esc(m.missing.replace(/ — run .*$/, ''))} (section not asked for, or not applicable to this folder).` : ''}</figcaption>${table}</figure>`;
  });
  return section('graph', 'Layer graph and health metrics', figs.join(''));
}

function spectra(d: ReportData): string {
  if (!d.spectra) return '';
  const rows = d.spectra.map((s) => `<tr><td class="mono">${name(s.layer)}</td><td>${s.kernel.join('×')} / ${s.stride.join('×')}</td><td class="num">${s.summary.filters}</td><td class="num">${s.summary.dead}</td><td class="num">${s.summary.dominant}</td><td class="num">${s.summary.aliasing}</td><td class="num">${s.summary.meanAliasingFraction.toFixed(3)}</td><td class="num">${pct(s.summary.midCoverage)}</td></tr>`);
  const figs = d.spectra.filter((s) => s.filtersPng).map((s) => {
    const flagged = s.flagged.length ? s.flagged.slice(0, 64).map((f) => `#${f.index} <span class="flag">${esc(f.flags.join(', '))}</span>`).join('; ') + (s.flagged.length > 64 ? `; … ${s.flagged.length - 64} more` : '') : 'none';
    const profile = lineChart({
      title: `Mean radial power spectrum, ${shortLayerName(s.layer)}`, xLabel: 'spatial frequency (cycles/pixel)', yLabel: 'share of power',
      x: s.meanProfile.map((_, i) => i * s.profileBin), series: [{ label: 'mean over non-dead filters', y: s.meanProfile, colour: COLOURS[0] }],
    });
    return `<figure><h3>Filters of ${name(s.layer)}</h3><div class="pair">${png(s.filtersPng!, `filters of ${s.layer}`, 'pix')}${profile}</div>
<figcaption>Each filter scaled by its own largest |weight| around grey (${s.kernel.join('×')} kernel, stride ${s.stride.join('×')}). Flagged filters (DESIGN §3: dead rms &lt; 0.01·median, dominant &gt; 3·median, aliasing fraction &gt; 0.5): ${flagged}.</figcaption></figure>`;
  });
  return section('spectra', 'Filter spectra and flags', `<table><thead><tr><th>conv layer</th><th>kernel / stride</th><th>filters</th><th>dead</th><th>dominant</th><th>aliasing</th><th>mean aliasing fraction</th><th>mid-frequency coverage</th></tr></thead><tbody>${rows.join('')}</tbody></table>${figs.join('')}`);
}

function tiles(ts: ReportTile[], what: string): string {
  return `<div class="tiles">${ts.map((t, i) => `<div class="tile">${png(t.patch, `${what}: image ${i + 1} patch`)}${t.projection ? png(t.projection, `${what}: image ${i + 1} projection`) : ''}<span>${t.value.toFixed(2)}</span></div>`).join('')}</div>`;
}

function topk(d: ReportData): string {
  if (!d.topk) return '';
  const never = `<table><thead><tr><th>conv layer (read after its ReLU)</th><th>images</th><th>maps</th><th>maps that never fire</th></tr></thead><tbody>${d.topk.map((l) => `<tr><td class="mono">${name(l.layer)}</td><td class="num">${l.images}</td><td class="num">${l.maps}</td><td>${l.neverFires.length ? `${l.neverFires.length}: ${l.neverFires.slice(0, 100).join(', ')}${l.neverFires.length > 100 ? ', …' : ''}` : 'none'}</td></tr>`).join('')}</tbody></table>`;
  const figs = d.topk.flatMap((l) => [['most', l.most] as const, ['least', l.least] as const].filter(([, m]) => m).map(([which, m]) =>
    `<figure><h3>Top-${m!.tiles.length} of ${name(l.layer)} map ${m!.channel} (${which} selective: fires on ${pct(m!.firingRate)} of images)</h3>${tiles(m!.tiles, `${l.layer} map ${m!.channel}`)}
<figcaption>The ${m!.tiles.length} images with the highest maximum of the map: the image patch under the receptive field of the maximum (top) and its deconvnet projection (bottom); numbers are the map maxima.</figcaption></figure>`));
  return section('never-fires', 'Maps that never fire', never) + section('topk', 'Top-9: the most and least selective maps of each conv layer', figs.join('') || '<p>No map fires on these images.</p>');
}

function invariance(d: ReportData): string {
  if (!d.invariance) return '';
  const inv = d.invariance;
  const unit = { 'translate-x': 'px', 'translate-y': 'px', scale: '×', rotate: '°' } as const;
  const label = { 'translate-x': 'horizontal translation', 'translate-y': 'vertical translation', scale: 'scale', rotate: 'rotation' } as const;
  const panels = inv.runs.map((r) => {
    const x = r.thetas;
    const dist = lineChart({
      title: `Feature change under ${label[r.transform]}`, xLabel: `${label[r.transform]} θ (${unit[r.transform]})`, yLabel: 'mean d̂ = ‖φ(Tx) − φ(x)‖ / ‖φ(x)‖', x,
      series: inv.layers.map((l, i) => ({ label: shortLayerName(l), y: r.meanNormalized[l] ?? [], colour: COLOURS[i % COLOURS.length] })),
    });
    const p = lineChart({
      title: `P(true class) under ${label[r.transform]}`, xLabel: `${label[r.transform]} θ (${unit[r.transform]})`, yLabel: 'P(true class)', x, yRange: [0, 1],
      series: [...r.perImagePTrue.map((im, i) => ({ label: im.path, y: im.p, colour: COLOURS[(i + 2) % COLOURS.length], dashed: true })), { label: 'mean', y: r.meanPTrue, colour: '#111' }],
    });
    return `<figure><div class="pair">${dist}${p}</div><figcaption>${esc(label[r.transform])} at the paper's range over ${inv.images} images (Fig. 5): left, the normalised feature distance at each layer (mean over images); right, the probability of the true class.</figcaption></figure>`;
  });
  return section('invariance', 'Invariance (Fig. 5)', panels.join(''));
}

function occlusion(d: ReportData): string {
  if (!d.occlusion) return '';
  const o = d.occlusion;
  const figs = o.images.map((im) => `<figure><h3>${esc(im.path)}</h3><div class="pair">${png(im.imagePng, `input ${im.path}`, 'pix')}${png(im.heatPng, `occlusion map of ${im.path}`, 'pix')}</div>
<figcaption>Left: the model input. Right: P(${esc(im.targetLabel)}) with a grey ${im.size}×${im.size} px square at each of ${im.grid[0]}×${im.grid[1]} positions (stride ${im.stride} px), dark blue 0 → yellow 1; unoccluded ${pct(im.baseP)}, lowest ${pct(im.minP)}.</figcaption></figure>`);
  const rows = o.faithfulness.map((f) => `<tr><td class="mono">${name(f.layer)}</td><td>${esc(f.path)}</td><td class="num">${f.channel}</td><td class="num">${f.value.toFixed(3)}</td><td class="num">${f.value > 0 ? pct(f.projectedDrop / f.value) : '—'}</td><td class="num">${f.value > 0 ? pct(f.randomDrop / f.value) : '—'}</td></tr>`);
  return section('occlusion', 'Occlusion sensitivity and faithfulness', `${figs.join('')}<h3>Faithfulness of the projections</h3><table><thead><tr><th>layer</th><th>image</th><th>map</th><th>activation</th><th>drop, projection occluded</th><th>drop, random square</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
}

function probe(d: ReportData): string {
  if (!d.probe) return '';
  const p = d.probe;
  const x = p.layers.map((_, i) => i);
  const chart = lineChart({
    title: 'Linear probe accuracy by layer', xLabel: 'layer (input → output)', yLabel: 'held-out accuracy', x, categories: p.layers.map((l) => shortLayerName(l.layer).split('/')[0]), yRange: [0, 1], width: 560,
    series: [
      { label: 'probe accuracy', y: p.layers.map((l) => l.accuracy), colour: COLOURS[0] },
      { label: `chance (${pct(p.chance)})`, y: x.map(() => p.chance), colour: '#888', dashed: true },
      ...(p.modelAccuracy !== null ? [{ label: `model (${pct(p.modelAccuracy)})`, y: x.map(() => p.modelAccuracy!), colour: COLOURS[1], dashed: true }] : []),
    ],
  });
  const rows = p.layers.map((l) => `<tr><td class="mono">${name(l.layer)}</td><td class="num">${l.features}</td><td class="num">${pct(l.accuracy)}</td><td class="num">${pct(l.std)}</td></tr>`);
  return section('probe', 'Linear probes by layer', `<figure>${chart}<figcaption>Ridge classifier (λ = ${p.lambda}) on each layer's spatially averaged features, ${p.folds}-fold cross-validation over ${p.images} images of ${p.classes} classes; chance is the share of the largest class.</figcaption></figure><table><thead><tr><th>layer</th><th>features</th><th>accuracy</th><th>± std</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
}

function provenance(d: ReportData): string {
  const p = d.provenance;
  const rows: [string, string][] = [
    ['model file', p.file], ['sha256', p.sha256], ['size', `${p.sizeBytes.toLocaleString('en-US')} bytes`], ['image folder', p.folder], ['images', `${p.images} (${p.classes} classes)`],
    ['preprocessing', JSON.stringify(p.preprocessing)], ['Convscope', p.version], ['date', p.date], ['execution provider', `${p.provider} (${p.providerReason})`], ['sections', p.sections.join(', ')],
  ];
  return section('provenance', 'Provenance', `<table><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td class="mono" data-field="${esc(k)}">${esc(v)}</td></tr>`).join('')}</tbody></table>`);
}

export function reportHtml(d: ReportData): string {
  const title = `Convscope report: ${d.provenance.model}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(title)}</h1><p class="muted">Folder <code>${esc(d.provenance.folder)}</code> · ${d.provenance.images} images · Convscope ${esc(d.provenance.version)} · ${esc(d.provenance.date)}</p></header>
${summary(d)}${graphs(d)}${spectra(d)}${topk(d)}${invariance(d)}${occlusion(d)}${probe(d)}${provenance(d)}
</body></html>
`;
}

/** The report as data (`--json`): the same content, pictures as base64 PNG. */
export function reportJson(d: ReportData): unknown {
  return JSON.parse(JSON.stringify(d, (_k, v: unknown) => (v instanceof Uint8Array ? `data:image/png;base64,${Buffer.from(v).toString('base64')}` : v)));
}
