// The layer graph (layer-inputs.ts) and its layout (common/graph-layout.ts) on builder-made models
// with residual joins and concatenations, and a deep ResNet-like stack for speed.
import { describe, expect, it } from 'vitest';
import { layoutGraph, type GraphLayout } from '../../common/graph-layout.ts';
import { graphSvg } from '../../common/graph-svg.ts';
import { GraphBuilder } from './builder.ts';
import { analyzeGraph, type GraphSummary } from './graph.ts';
import { parseModel } from './model.ts';
import { zfTestModel } from './test-models.ts';

const analyze = (bytes: Uint8Array) => analyzeGraph(parseModel(bytes, 't.onnx'), 't.onnx');

/** conv → relu → [residual blocks, one with a 1×1 downsampling shortcut] → [3-arm concat] → gap → fc. */
function branchyModel(blocks = 2): Uint8Array {
  const b = new GraphBuilder({ seed: 5 });
  let x = b.relu(b.conv(b.input('image', [1, 3, 16, 16]), { outChannels: 4, kernel: 3, pad: 1 }));
  for (let i = 0; i < blocks; i++) {
    const down = i === 0;
    const y = b.relu(b.conv(x, { outChannels: down ? 8 : 8, kernel: 3, pad: 1, stride: down ? 2 : 1 }));
    const z = b.conv(y, { outChannels: 8, kernel: 3, pad: 1 });
    const shortcut = down ? b.conv(x, { outChannels: 8, kernel: 1, stride: 2 }) : x;
    x = b.relu(b.add(z, shortcut));
  }
  const arms = [1, 3, 5].map((k) => b.relu(b.conv(x, { outChannels: 2, kernel: k, pad: (k - 1) / 2 })));
  const cat = b.concat(arms);
  b.output(b.gemm(b.flatten(b.globalAveragePool(cat)), { out: 3 }), 'logits');
  return b.build();
}

function checkLayout(g: GraphSummary, lay: GraphLayout) {
  // Order = graph order: the input, then the layers, top to bottom.
  expect(lay.nodes.map((n) => n.id)).toEqual([g.input.name, ...g.layers.map((l) => l.id)]);
  for (let i = 1; i < lay.nodes.length; i++) expect(lay.nodes[i].y).toBeGreaterThan(lay.nodes[i - 1].y + lay.nodes[i - 1].height);
  // No two nodes overlap.
  for (const a of lay.nodes) {
    for (const b of lay.nodes) {
      if (a === b) continue;
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
    }
  }
  const at = new Map(lay.nodes.map((n) => [n.id, n]));
  const on = (p: [number, number], n: { x: number; y: number; width: number; height: number }) =>
    p[0] >= n.x - 1e-9 && p[0] <= n.x + n.width + 1e-9 && p[1] >= n.y - 1e-9 && p[1] <= n.y + n.height + 1e-9;
  // One edge per (input, layer) pair, from the producer's outline to the consumer's.
  expect(lay.edges.map((e) => `${e.from}→${e.to}`).sort()).toEqual(g.layers.flatMap((l) => l.inputs.map((s) => `${s}→${l.id}`)).sort());
  for (const e of lay.edges) {
    expect(on(e.points[0], at.get(e.from)!), `${e.from}→${e.to} starts on its producer`).toBe(true);
    expect(on(e.points[e.points.length - 1], at.get(e.to)!), `${e.from}→${e.to} ends on its consumer`).toBe(true);
    // Lane edges run left of every node, so they cross none.
    if (e.lane !== null) expect(e.points[1][0]).toBeLessThan(Math.min(...lay.nodes.map((n) => n.x)));
  }
  expect(lay.width).toBeGreaterThanOrEqual(Math.max(...lay.nodes.map((n) => n.x + n.width)));
  expect(lay.height).toBeGreaterThanOrEqual(Math.max(...lay.nodes.map((n) => n.y + n.height)));
}

describe('layer inputs', () => {
  it('a plain chain reads the layer before it', () => {
    const g = analyze(zfTestModel());
    expect(g.layers[0].inputs).toEqual([g.input.name]);
    for (let i = 1; i < g.layers.length; i++) expect(g.layers[i].inputs).toEqual([g.layers[i - 1].id]);
  });

  it('residual joins read both arms, a concat all of its arms, through no phantom edges', () => {
    const g = analyze(branchyModel());
    const adds = g.layers.filter((l) => l.op === 'Add');
    expect(adds).toHaveLength(2);
    for (const a of adds) expect(a.inputs).toHaveLength(2);
    // The first join's shortcut is the 1×1 downsampling conv, the second's the block input itself (a ReLU).
    const byId = new Map(g.layers.map((l) => [l.id, l]));
    expect(adds[0].inputs.map((i) => byId.get(i)!.op).sort()).toEqual(['Conv', 'Conv']);
    expect(adds[1].inputs.map((i) => byId.get(i)!.op).sort()).toEqual(['Conv', 'Relu']);
    const cat = g.layers.find((l) => l.op === 'Concat')!;
    expect(cat.inputs.map((i) => byId.get(i)!.op)).toEqual(['Relu', 'Relu', 'Relu']);
    // Every input is an earlier layer or the image input.
    const seen = new Set([g.input.name]);
    for (const l of g.layers) {
      for (const i of l.inputs) expect(seen.has(i), `${l.id} reads ${i}`).toBe(true);
      seen.add(l.id);
    }
  });
});

describe('layoutGraph', () => {
  it('lays out a chain in one column with direct edges', () => {
    const g = analyze(zfTestModel());
    const lay = layoutGraph(g.input.name, g.layers);
    checkLayout(g, lay);
    expect(new Set(lay.nodes.map((n) => n.x)).size).toBe(1);
    expect(lay.edges.every((e) => e.lane === null)).toBe(true);
  });

  it('puts branches beside the main chain and skip edges in lanes', () => {
    const g = analyze(branchyModel());
    const lay = layoutGraph(g.input.name, g.layers);
    checkLayout(g, lay);
    const at = new Map(lay.nodes.map((n) => [n.id, n]));
    // The 1×1 shortcut conv is off the main chain (longest path), so in a side column.
    const add0 = g.layers.find((l) => l.op === 'Add')!;
    const sideCols = add0.inputs.map((i) => at.get(i)!.column);
    expect(sideCols.sort()).toEqual([0, 1]);
    // The identity shortcut of the second block skips rows: it runs in a lane.
    expect(lay.edges.some((e) => e.lane !== null)).toBe(true);
    // Two of the concat's three arms are side branches.
    const cat = g.layers.find((l) => l.op === 'Concat')!;
    const armRelus = cat.inputs.map((i) => at.get(i)!);
    expect(armRelus.filter((n) => n.column > 0).length).toBe(2);
  });

  it('lays out a 100-block residual stack fast', () => {
    const g = analyze(branchyModel(100));
    expect(g.layers.length).toBeGreaterThan(400);
    const t0 = performance.now();
    const lay = layoutGraph(g.input.name, g.layers);
    const svg = graphSvg(lay, new Map());
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(200);
    expect(svg.match(/<g class="node[ "]/g)).toHaveLength(g.layers.length + 1);
    checkLayout(g, lay);
  });

  it('refuses an order that is not topological', () => {
    expect(() => layoutGraph('x', [{ id: 'b', inputs: ['a'] }, { id: 'a', inputs: ['x'] }])).toThrow(/"b" reads "a", which is not an earlier layer/);
  });

  it('escapes names from the model file in the SVG', () => {
    const lay = layoutGraph('in<put>', [{ id: 'a&"b', inputs: ['in<put>'] }]);
    const svg = graphSvg(lay, new Map([['a&"b', { title: '<script>alert(1)</script>', detail: "x'y" }]]));
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('data-layer="a&amp;&quot;b"');
    expect(svg).toContain('data-layer="in&lt;put&gt;"');
  });
});
