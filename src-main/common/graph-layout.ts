// The layer graph laid out top to bottom, for the Model view and the report alike (graph-svg.ts draws it).
// One node per row in graph (topological) order, so nodes never overlap and the order reads as the
// model runs; the main chain (the longest path from the input) is column 0, side branches
// (downsampling shortcuts, Inception arms) sit to its right, and every edge that skips rows runs down a
// lane left of the nodes, so no edge crosses a node. Linear in nodes + edges: a 300-layer ResNet is
// a few milliseconds.

export interface LayoutLayer {
  id: string;
  /** Ids of the layers (or of the image input) it reads. */
  inputs: readonly string[];
}

export interface LayoutNode {
  id: string;
  /** Row: 0 for the image input, then the layers in the order given. */
  row: number;
  column: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutEdge {
  from: string;
  to: string;
  /** The polyline from the producer's outline to the consumer's. */
  points: [number, number][];
  /** The lane an edge over several rows runs down (null: the next row, drawn directly). */
  lane: number | null;
}

export interface GraphLayout {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

export const LAYOUT = { nodeWidth: 250, nodeHeight: 42, rowPitch: 56, columnPitch: 270, laneGap: 10, margin: 16 } as const;

/**
 * Lays out `layers` (in graph order) below the image input `inputId`. An input id that names no
 * earlier layer (nor the image input) is an error: the order would not be topological.
 */
export function layoutGraph(inputId: string, layers: readonly LayoutLayer[]): GraphLayout {
  const all: LayoutLayer[] = [{ id: inputId, inputs: [] }, ...layers];
  const row = new Map<string, number>();
  all.forEach((l, i) => {
    if (row.has(l.id)) throw new Error(`graph layout: layer "${l.id}" is listed twice`);
    for (const src of l.inputs) {
      if (!row.has(src)) throw new Error(`graph layout: layer "${l.id}" reads "${src}", which is not an earlier layer`);
    }
    row.set(l.id, i);
  });

  // Longest path from the input: the main chain follows the deepest input back from the last layer.
  const depth: number[] = [];
  const depthOf = (id: string) => depth[row.get(id)!];
  for (const l of all) depth.push(l.inputs.length ? 1 + Math.max(...l.inputs.map(depthOf)) : 0);
  const onChain = new Set<number>();
  for (let i = all.length - 1; i >= 0; ) {
    onChain.add(i);
    const ins = all[i].inputs;
    if (ins.length === 0) break;
    i = row.get(ins.reduce((a, b) => (depthOf(b) > depthOf(a) ? b : a)))!;
  }

  const column = all.map(() => 0);
  all.forEach((l, i) => {
    if (onChain.has(i)) return;
    // A branch continues in its producer's column; a new branch opens beside the chain.
    const branchSrc = l.inputs.map((s) => row.get(s)!).find((r) => !onChain.has(r));
    column[i] = branchSrc !== undefined ? column[branchSrc] : 1;
  });

  // Lanes: one per producer whose edges skip rows, spanning its first to its last such consumer.
  const spans = new Map<number, [number, number]>();
  all.forEach((l, i) => {
    for (const s of l.inputs) {
      const r = row.get(s)!;
      if (i - r < 2) continue;
      const span = spans.get(r);
      spans.set(r, span ? [span[0], Math.max(span[1], i)] : [r, i]);
    }
  });
  const laneOf = new Map<number, number>();
  const laneEnds: number[] = [];
  for (const [src, [a, b]] of [...spans].sort((p, q) => p[1][0] - q[1][0])) {
    let lane = laneEnds.findIndex((end) => end < a);
    if (lane < 0) lane = laneEnds.length;
    laneEnds[lane] = b;
    laneOf.set(src, lane);
  }
  const lanes = laneEnds.length;
  const { nodeWidth, nodeHeight, rowPitch, columnPitch, laneGap, margin } = LAYOUT;
  const left = margin + lanes * laneGap + (lanes ? laneGap : 0);
  const laneX = (lane: number) => margin + (lanes - 1 - lane) * laneGap;

  const nodes: LayoutNode[] = all.map((l, i) => ({ id: l.id, row: i, column: column[i], x: left + column[i] * columnPitch, y: margin + i * rowPitch, width: nodeWidth, height: nodeHeight }));
  const edges: LayoutEdge[] = [];
  all.forEach((l, i) => {
    const b = nodes[i];
    for (const s of l.inputs) {
      const a = nodes[row.get(s)!];
      if (i - a.row < 2) {
        edges.push({ from: s, to: l.id, lane: null, points: [[a.x + a.width / 2, a.y + a.height], [b.x + b.width / 2, b.y]] });
        continue;
      }
      const lane = laneOf.get(a.row)!;
      const x = laneX(lane);
      const ya = a.y + a.height / 2;
      const yb = b.y + b.height / 2;
      edges.push({ from: s, to: l.id, lane, points: [[a.x, ya], [x, ya], [x, yb], [b.x, yb]] });
    }
  });
  const columns = Math.max(...column) + 1;
  return { nodes, edges, width: left + (columns - 1) * columnPitch + nodeWidth + margin, height: margin * 2 + (all.length - 1) * rowPitch + nodeHeight };
}
