// Channels-last models rewritten at parse (layout.ts): checked against onnxruntime on the file as
// exported, and against the channels-first twin with the same weights.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { analyzeGraph } from './graph.ts';
import { GraphBuilder } from './builder.ts';
import { LAYOUT_KEY, channelsFirst } from './layout.ts';
import { channelsFirstBytes, parseModel, serializeModel } from './model.ts';
import { nhwcTestModels } from './nhwc-test-model.ts';

const S = 16;
const { nhwc, nchw } = nhwcTestModels({ inputSize: S, classes: 4, seed: 11 });

/** Values in C×H×W order, and the same values in H×W×C order. */
function image(seed: number): { chw: Float32Array; hwc: Float32Array } {
  const chw = Float32Array.from({ length: 3 * S * S }, (_, i) => Math.sin(i * 0.37 + seed));
  const hwc = new Float32Array(chw.length);
  for (let c = 0; c < 3; c++) for (let p = 0; p < S * S; p++) hwc[p * 3 + c] = chw[c * S * S + p];
  return { chw, hwc };
}

async function logits(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    return (await s.run({ input_1: new ort.Tensor('float32', x, dims) })).logits.data as Float32Array;
  } finally {
    await s.release();
  }
}

describe('channels-last models', () => {
  it('parse as taking N×C×H×W, without the leading Transpose, their own layout kept in the metadata and the summary', () => {
    const model = parseModel(nhwc, 'keras.onnx');
    const g = model.graph!;
    expect(g.node.map((n) => n.name)).not.toContain('to_nchw');
    expect(g.node.find((n) => n.name === 'conv1')!.input[0]).toBe('input_1');
    expect(model.metadataProps.filter((p) => p.key === LAYOUT_KEY).map((p) => p.value)).toEqual(['NHWC']);
    const summary = analyzeGraph(model, 'keras.onnx');
    expect(summary.input).toEqual({ name: 'input_1', dims: ['unk__0', S, S, 3], layout: 'NHWC', channels: 3, height: S, width: S });
    // The same layers as the twin, and the Transpose back to N×H×W×C before the flatten.
    const twin = analyzeGraph(parseModel(nchw, 'twin.onnx'), 'twin.onnx');
    expect(twin.input.layout).toBe('NCHW');
    expect(summary.layers.map((l) => l.id)).toEqual([...twin.layers.map((l) => l.id).slice(0, 5), 'to_nhwc', ...twin.layers.map((l) => l.id).slice(5)]);
    expect(summary.layers.filter((l) => l.id !== 'to_nhwc').map((l) => l.receptiveField)).toEqual(twin.layers.map((l) => l.receptiveField));
    // Each position of the transposed map keeps its field.
    expect(summary.layers.find((l) => l.id === 'to_nhwc')!.receptiveField).toEqual(twin.layers.find((l) => l.id === 'relu2')!.receptiveField);
  });

  it('compute what the exported file computes, on the same image given channels first, and what the twin computes', async () => {
    const { chw, hwc } = image(1);
    const asExported = await logits(nhwc, hwc, [1, S, S, 3]);
    const rewritten = await logits(serializeModel(parseModel(nhwc, 'keras.onnx')), chw, [1, 3, S, S]);
    const twin = await logits(nchw, chw, [1, 3, S, S]);
    expect(Array.from(rewritten)).toEqual(Array.from(asExported));
    for (let i = 0; i < twin.length; i++) expect(rewritten[i]).toBeCloseTo(twin[i], 5);
    // Different images differ: the comparison above is not of constants.
    const other = await logits(nchw, image(2).chw, [1, 3, S, S]);
    expect(Math.max(...twin.map((v, i) => Math.abs(v - other[i])))).toBeGreaterThan(1e-3);
  });

  it('are rewritten once: parsing the rewritten bytes changes nothing, and channelsFirstBytes leaves channels-first bytes alone', () => {
    const once = serializeModel(parseModel(nhwc, 'keras.onnx'));
    const again = parseModel(once, 'keras.onnx');
    expect(channelsFirst(again)).toBe(false);
    expect(serializeModel(again)).toEqual(once);
    expect(channelsFirstBytes(nhwc, 'keras.onnx')).toEqual(once);
    expect(channelsFirstBytes(nchw, 'twin.onnx')).toBe(nchw);
  });
});

describe('a channels-last input Convscope cannot take', () => {
  function model(readers: (b: GraphBuilder, x: string) => string): Uint8Array {
    const b = new GraphBuilder({ opset: 13 });
    const x = b.input('input_1', ['unk__0', 8, 8, 3]);
    b.output(readers(b, x), 'logits');
    return b.build();
  }
  const transpose = (b: GraphBuilder, x: string, perm: number[], name: string) => b.node('Transpose', [x], { perm }, 1, { name, shapes: [['unk__0', 3, 8, 8]] })[0];
  const head = (b: GraphBuilder, h: string) => b.gemm(b.flatten(b.globalAveragePool(b.conv(h, { outChannels: 4, kernel: 3, name: 'conv1' }))), { out: 2 });

  it('is refused naming the layout it needs and what reads the input instead', () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['a Transpose beside another reader', model((b, x) => {
        const [shape] = b.node('Shape', [x], {}, 1, { name: 'input_shape', types: [7] });
        const h = head(b, transpose(b, x, [0, 3, 1, 2], 'to_nchw'));
        return b.node('Mul', [h, b.node('Cast', [shape], { to: 1 }, 1, { name: 'as_float' })[0]], {}, 1, { name: 'scaled' })[0];
      }), /read by Shape "input_shape", Transpose \(perm \[0, 3, 1, 2\]\) "to_nchw"/],
      ['a Transpose to another layout', model((b, x) => head(b, transpose(b, x, [0, 3, 2, 1], 'to_ncwh'))), /read by Transpose \(perm \[0, 3, 2, 1\]\) "to_ncwh"/],
    ];
    for (const [what, bytes, readers] of cases) {
      const m = parseModel(bytes, 'keras.onnx');
      expect(m.metadataProps, what).toHaveLength(0);
      let error: Error | null = null;
      try {
        analyzeGraph(m, 'keras.onnx');
      } catch (e) {
        error = e as Error;
      }
      expect(error, what).toMatchObject({ code: 'MODEL_NO_IMAGE_INPUT' });
      expect(error!.message, what).toMatch(/^keras\.onnx has no usable image input: input "input_1" float \[unk__0, 8, 8, 3\] has 8 channels\. It looks N×H×W×C/);
      expect(error!.message, what).toMatch(/every node reading the input is a Transpose to N×C×H×W \(perm \[0, 3, 1, 2\]\)/);
      expect(error!.message, what).toMatch(readers);
    }
  });
});
