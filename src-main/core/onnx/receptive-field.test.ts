import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { ReceptiveField } from '../../common/types.ts';
import { type AutoPad, GraphBuilder } from './builder.ts';
import { analyzeGraph } from './graph.ts';
import { parseModel } from './model.ts';
import { seededRandom } from './seeded-random.ts';
import { outLength } from './testing/naive.ts';

type Pair = [number, number];
interface Op {
  op: 'conv' | 'maxpool' | 'avgpool';
  kernel: Pair;
  stride: Pair;
  dilation: Pair;
  pads: [number, number, number, number];
  autoPad: AutoPad;
}

/** A random Conv/MaxPool/AveragePool stack whose every layer has at least one output position. */
function randomStack(rnd: () => number, H: number, W: number, allowSame: boolean): Op[] | null {
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const ops: Op[] = [];
  let [h, w] = [H, W];
  for (let i = 0, n = int(2, 4); i < n; i++) {
    const op = (['conv', 'maxpool', 'avgpool'] as const)[int(0, 2)];
    const kernel: Pair = [int(1, 4), int(1, 4)];
    const stride: Pair = [int(1, 3), int(1, 3)];
    const autoPad: AutoPad = allowSame && rnd() < 0.3 ? (rnd() < 0.5 ? 'SAME_UPPER' : 'SAME_LOWER') : 'NOTSET';
    const same = autoPad !== 'NOTSET';
    // onnxruntime refuses dilation with SAME padding, and SAME with a kernel smaller than the stride.
    if (same) stride.forEach((v, a) => (stride[a] = Math.min(v, kernel[a])));
    const dilation: Pair = op === 'avgpool' || same ? [1, 1] : [int(1, 2), int(1, 2)];
    const kEff = [0, 1].map((a) => dilation[a] * (kernel[a] - 1) + 1);
    // ONNX pooling wants pads smaller than the kernel.
    const pads = [int(0, kernel[0] - 1), int(0, kernel[1] - 1), int(0, kernel[0] - 1), int(0, kernel[1] - 1)] as Op['pads'];
    h = same ? Math.ceil(h / stride[0]) : outLength(h, kernel[0], stride[0], dilation[0], pads[0], pads[2]);
    w = same ? Math.ceil(w / stride[1]) : outLength(w, kernel[1], stride[1], dilation[1], pads[1], pads[3]);
    if (h < 1 || w < 1 || kEff[0] > H || kEff[1] > W) return null;
    ops.push({ op, kernel, stride, dilation, pads, autoPad });
  }
  return ops;
}

function build(ops: Op[], H: number, W: number, rnd: () => number): { bytes: Uint8Array; ids: string[] } {
  const b = new GraphBuilder();
  let h = b.input('x', ['N', 1, H, W]);
  let channels = 1;
  const ids: string[] = [];
  for (const o of ops) {
    const win = { kernel: o.kernel, stride: o.stride, pad: o.pads, autoPad: o.autoPad };
    if (o.op === 'conv') {
      // Positive weights and no bias: an input bump can only raise outputs, so max pooling can't hide it.
      const weights = Array.from({ length: 2 * channels * o.kernel[0] * o.kernel[1] }, () => 0.5 + rnd());
      h = b.conv(h, { ...win, outChannels: 2, dilation: o.dilation, weights, bias: false });
      channels = 2;
    } else if (o.op === 'maxpool') h = b.maxPool(h, { ...win, dilation: o.dilation });
    else h = b.averagePool(h, win);
    ids.push(h);
  }
  b.output(h, 'y');
  ids[ids.length - 1] = 'y';
  return { bytes: b.build(), ids };
}

type Box = { y: Pair; x: Pair }; // inclusive [min, max] per axis

function predicted(rf: ReceptiveField, py: number, px: number): Box {
  const axis = (a: 0 | 1, p: number): Pair => {
    const c = rf.offset[a] + p * rf.stride[a];
    return [c - (rf.size[a] - 1) / 2, c + (rf.size[a] - 1) / 2];
  };
  return { y: axis(0, py), x: axis(1, px) };
}

/**
 * The unclipped field by brute force: walk a support mask from one output position back to the
 * input through every window tap, padded positions included (they extend the box; DESIGN §3).
 */
function bruteForceBox(ops: Op[], py: number, px: number, padBegins: Pair[]): Box {
  let support = new Set([`${py},${px}`]);
  for (let i = ops.length - 1; i >= 0; i--) {
    const o = ops[i];
    const next = new Set<string>();
    for (const key of support) {
      const [y, x] = key.split(',').map(Number);
      for (let ky = 0; ky < o.kernel[0]; ky++)
        for (let kx = 0; kx < o.kernel[1]; kx++) {
          next.add(`${y * o.stride[0] - padBegins[i][0] + ky * o.dilation[0]},${x * o.stride[1] - padBegins[i][1] + kx * o.dilation[1]}`);
        }
    }
    support = next;
  }
  const pts = [...support].map((k) => k.split(',').map(Number));
  const ys = pts.map((p) => p[0]);
  const xs = pts.map((p) => p[1]);
  return { y: [Math.min(...ys), Math.max(...ys)], x: [Math.min(...xs), Math.max(...xs)] };
}

describe('receptive fields', () => {
  it('match a brute-force support walk over random conv/pool stacks (size, stride, offset)', () => {
    const rnd = seededRandom(2014);
    let stacks = 0;
    let checks = 0;
    while (stacks < 40) {
      const [H, W] = [24 + Math.floor(rnd() * 24), 24 + Math.floor(rnd() * 24)];
      const ops = randomStack(rnd, H, W, false);
      if (!ops) continue;
      stacks++;
      const { bytes, ids } = build(ops, H, W, rnd);
      const g = analyzeGraph(parseModel(bytes, 'stack.onnx'), 'stack.onnx');
      const pads = ops.map((o) => [o.pads[0], o.pads[1]] as Pair);
      for (let depth = 1; depth <= ops.length; depth++) {
        const rf = g.layers.find((l) => l.id === ids[depth - 1])!.receptiveField!;
        for (const [py, px] of [[0, 0], [1, 2], [3, 1], [5, 4]]) {
          const want = bruteForceBox(ops.slice(0, depth), py, px, pads.slice(0, depth));
          expect(predicted(rf, py, px), `stack ${stacks} depth ${depth} at (${py}, ${px}): ${JSON.stringify(ops)}`).toEqual(want);
          checks++;
        }
      }
    }
    expect(checks).toBeGreaterThan(300);
  });

  it('bound the pixels onnxruntime lets influence each position, exactly so away from borders (incl. SAME padding)', async () => {
    const rnd = seededRandom(1311);
    let stacks = 0;
    let interior = 0;
    while (stacks < 8) {
      const [H, W] = [12 + Math.floor(rnd() * 6), 12 + Math.floor(rnd() * 6)];
      const ops = randomStack(rnd, H, W, true);
      if (!ops || !ops.some((o) => o.stride[0] > 1 || o.stride[1] > 1)) continue;
      stacks++;
      const { bytes } = build(ops, H, W, rnd);
      const rf = analyzeGraph(parseModel(bytes, 's.onnx'), 's.onnx').layers.at(-1)!.receptiveField!;
      // Sample 0 is all zeros; sample 1 + i bumps input pixel i.
      const n = 1 + H * W;
      const x = new Float32Array(n * H * W);
      for (let i = 0; i < H * W; i++) x[(1 + i) * H * W + i] = 1;
      const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
      const y = (await s.run({ x: new ort.Tensor('float32', x, [n, 1, H, W]) })).y;
      await s.release();
      const [, C, OH, OW] = y.dims as number[];
      const out = y.data as Float32Array;
      const per = C * OH * OW;
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          const hit: Pair[] = [];
          for (let i = 0; i < H * W; i++) {
            const at = (1 + i) * per + oy * OW + ox; // channel 0
            if (Math.abs(out[at] - out[oy * OW + ox]) > 1e-6) hit.push([Math.floor(i / W), i % W]);
          }
          const box = predicted(rf, oy, ox);
          const real: Box = {
            y: [Math.min(...hit.map((p) => p[0])), Math.max(...hit.map((p) => p[0]))],
            x: [Math.min(...hit.map((p) => p[1])), Math.max(...hit.map((p) => p[1]))],
          };
          const where = `(${oy}, ${ox}) of ${JSON.stringify(ops)} on ${H}×${W}`;
          expect(hit.length, where).toBeGreaterThan(0);
          // Inside the unclipped box always; equal to it when the box lies inside the image.
          expect(real.y[0] >= box.y[0] && real.y[1] <= box.y[1] && real.x[0] >= box.x[0] && real.x[1] <= box.x[1], where).toBe(true);
          if (box.y[0] >= 0 && box.x[0] >= 0 && box.y[1] <= H - 1 && box.x[1] <= W - 1) {
            expect(real, where).toEqual(box);
            interior++;
          }
        }
    }
    expect(interior).toBeGreaterThan(20);
  });

  it('joins take the largest field per axis; global ops cover the input; unknown ops give null', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 3, 32, 32]);
    const stem = b.conv(x, { outChannels: 4, kernel: 3, pad: 1, name: 'stem' });
    const branch = b.conv(b.relu(stem), { outChannels: 4, kernel: 3, pad: 1, name: 'branch' });
    const sum = b.add(stem, branch, 'sum'); // residual: the branch's 5×5 wins over the skip's 3×3
    // Squeeze-and-excitation: a global per-channel gate scales the local map, which stays local.
    const squeeze = b.globalAveragePool(sum, 'squeeze');
    const gate = b.node('Sigmoid', [b.conv(squeeze, { outChannels: 4, kernel: 1, name: 'excite' })], {}, 1, { name: 'gate', shapes: [[1, 4, 1, 1]] })[0];
    const scaled = b.node('Mul', [sum, gate], {}, 1, { name: 'scaled', shapes: [[1, 4, 32, 32]] })[0];
    const tall = b.conv(scaled, { outChannels: 2, kernel: [5, 1], pad: [2, 0], name: 'tall' });
    const wide = b.conv(scaled, { outChannels: 2, kernel: [1, 7], pad: [0, 3], name: 'wide' });
    const cat = b.concat([tall, wide], 1, 'cat');
    const [padded] = b.node('Pad', [cat, b.int64Initializer('pads', [8], [0, 0, 2, 1, 0, 0, 2, 1])], {}, 1, { name: 'padded', shapes: [[1, 4, 36, 34]] });
    const shifted = b.conv(padded, { outChannels: 2, kernel: 3, name: 'shifted' });
    const [t] = b.node('Transpose', [shifted], { perm: [0, 1, 3, 2] }, 1, { name: 'transposed', shapes: [[1, 2, 32, 34]] });
    const after = b.relu(t, 'after');
    const gap = b.globalAveragePool(b.relu(sum), 'gap');
    b.output(b.add(b.flatten(gap, 1, 'flat'), b.flatten(after, 1, 'flat2'), 'out'));
    const g = analyzeGraph(parseModel(b.build(), 'joins.onnx'), 'joins.onnx');
    const rf = (id: string) => g.layers.find((l) => l.id === id)!.receptiveField;
    expect(rf('sum')).toEqual({ size: [5, 5], stride: [1, 1], offset: [0, 0] });
    expect(rf('cat')).toEqual({ size: [9, 11], stride: [1, 1], offset: [0, 0] });
    // The Pad node moves the field up and left by its leading pads; the conv after it adds 2.
    expect(rf('shifted')).toEqual({ size: [11, 13], stride: [1, 1], offset: [-1, 0] });
    expect(rf('transposed')).toBeNull();
    expect(rf('after')).toBeNull();
    expect(rf('gap')).toEqual({ size: [32, 32], stride: [0, 0], offset: [15.5, 15.5] });
    expect(rf('excite')).toEqual(rf('gap'));
    expect(rf('scaled')).toEqual(rf('sum'));
    expect(rf('out')).toBeNull(); // a join with an unknown field is unknown
  });
});
