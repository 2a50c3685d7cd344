import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { analyzeGraph } from './graph.ts';
import { parseModel, serializeModel } from './model.ts';
import { seededRandom } from './seeded-random.ts';
import { serveTapped, switchesModel, type Switches, tapModel, withOutputs } from './tap.ts';
import { mixedTypesTestModel, zfTestModel } from './test-models.ts';
import { TensorProto_DataType as T } from 'onnx-buf';
import { valueInfo } from './protos.ts';
import { maxPoolArgmax } from './testing/naive.ts';

async function run(bytes: Uint8Array, input: string, data: Float32Array, dims: number[]): Promise<ort.InferenceSession.ReturnType> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    return await s.run({ [input]: new ort.Tensor('float32', data, dims) });
  } finally {
    await s.release();
  }
}

const randomInput = (n: number, seed: number) => {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: n }, () => rnd() * 2 - 1);
};

/** ORT's Indices against a naive max-pool-with-argmax over the tapped pool input. */
function checkSwitches(out: ort.InferenceSession.ReturnType, sw: Switches): number {
  const x = out[sw.input];
  expect(x, `tapped input of ${sw.node}`).toBeDefined();
  const ref = maxPoolArgmax(x.data as Float32Array, x.dims as number[], {
    kernel: sw.kernel as [number, number],
    stride: sw.strides as [number, number],
    pads: sw.pads as [number, number, number, number],
    dilation: sw.dilations as [number, number],
    ceilMode: sw.ceilMode,
  });
  const got = out[sw.indices];
  expect(got.type).toBe('int64');
  expect(got.dims).toEqual(ref.dims);
  expect(Array.from(got.data as BigInt64Array)).toEqual(Array.from(ref.indices));
  expect(Array.from(out[sw.output].data as Float32Array)).toEqual(Array.from(ref.y));
  // Ties (zeros after ReLU) are common: count them so we know tie-breaking was exercised.
  const xs = x.data as Float32Array;
  return Array.from(ref.y).filter((v, i) => v === 0 && xs[Number(ref.indices[i])] === 0).length;
}

describe('tapModel', () => {
  it('ZF-like model at 224: every layer and every switch comes out; switches match a naive argmax; logits unchanged', async () => {
    const model = parseModel(zfTestModel(), 'zf.onnx');
    const before = serializeModel(model);
    const tapped = tapModel(model, 'all');
    expect(serializeModel(model)).toEqual(before); // the argument is not touched
    const layers = analyzeGraph(model, 'zf.onnx').layers.map((l) => l.id);
    expect(tapped.layerOutputs).toEqual(layers);
    expect(tapped.switches.map((s) => [s.node, s.input, s.indices])).toEqual([
      ['pool1', 'relu1', 'pool1__switches'],
      ['pool2', 'relu2', 'pool2__switches'],
      ['pool5', 'relu5', 'pool5__switches'],
    ]);
    const x = randomInput(2 * 3 * 224 * 224, 3);
    const plain = await run(before, 'input', x, [2, 3, 224, 224]);
    const out = await run(serializeModel(tapped.model), 'input', x, [2, 3, 224, 224]);
    expect(Object.keys(out).sort()).toEqual([...layers, ...tapped.switches.map((s) => s.indices)].sort());
    expect(Array.from(out.logits.data as Float32Array)).toEqual(Array.from(plain.logits.data as Float32Array));
    let ties = 0;
    for (const sw of tapped.switches) ties += checkSwitches(out, sw);
    expect(ties).toBeGreaterThan(0);
    // Indices run over N·C·H·W: the second image's switches point into the second image.
    const [, C, H, W] = out.relu1.dims as number[];
    const idx = out.pool1__switches.data as BigInt64Array;
    expect(Number(idx[idx.length - 1])).toBeGreaterThanOrEqual(C * H * W);
  });

  it('dilated, ceil-mode and padded pools; a MaxPool that already outputs Indices keeps its name', async () => {
    const b = new GraphBuilder({ seed: 4 });
    let h = b.input('x', ['N', 1, 19, 17]);
    h = b.relu(b.conv(h, { outChannels: 3, kernel: 3 }), 'r1');
    h = b.maxPool(h, { kernel: [3, 2], stride: [2, 1], pad: [1, 0, 1, 1], dilation: [2, 1], name: 'p1' });
    h = b.relu(b.conv(h, { outChannels: 3, kernel: 1 }), 'r2');
    h = b.maxPool(h, { kernel: 2, stride: 2, ceilMode: true, indices: true, name: 'p2' });
    b.output(b.gemm(b.flatten(h), { out: 3 }), 'y');
    const tapped = tapModel(parseModel(b.build(), 'pools.onnx'), ['r1', 'p1', 'r2', 'p2']);
    expect(tapped.layerOutputs).toEqual(['r1', 'p1', 'r2', 'p2']);
    expect(tapped.switches.map((s) => s.indices)).toEqual(['p1__switches', 'p2_1']);
    expect(tapped.switches[0]).toMatchObject({ kernel: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1], dilations: [2, 1], ceilMode: false, storageOrder: 0 });
    expect(tapped.switches[1]).toMatchObject({ ceilMode: true, pads: [0, 0, 0, 0], dilations: [1, 1] });
    const out = await run(serializeModel(tapped.model), 'x', randomInput(3 * 19 * 17, 5), [3, 1, 19, 17]);
    for (const sw of tapped.switches) checkSwitches(out, sw);
  });

  it('a real PyTorch export: the LRN layer and the MaxPool switches come out', async () => {
    const bytes = readFileSync(join(import.meta.dirname, 'fixtures', 'torch-lrn.onnx'));
    const model = parseModel(bytes, 'torch-lrn.onnx');
    const tapped = tapModel(model, 'all');
    const sw = tapped.switches[0];
    expect(sw).toMatchObject({ node: '/features/features.3/MaxPool', input: '/features/features.2/Div_output_0', indices: '/features/features.3/MaxPool__switches' });
    const x = randomInput(2 * 3 * 16 * 16, 6);
    const out = await run(serializeModel(tapped.model), 'input', x, [2, 3, 16, 16]);
    checkSwitches(out, sw);
    expect(out['/features/features.2/Div_output_0'].dims).toEqual([2, 6, 16, 16]);
    const plain = await run(bytes, 'input', x, [2, 3, 16, 16]);
    expect(Array.from(out.logits.data as Float32Array)).toEqual(Array.from(plain.logits.data as Float32Array));
    // Tapping doesn't change what the graph is: the same layers, with the LRN still folded.
    expect(analyzeGraph(tapped.model, 't').layers.map((l) => l.id)).toEqual(analyzeGraph(model, 't').layers.map((l) => l.id));
  });

  it('does not duplicate outputs, and names what it cannot tap', () => {
    const model = parseModel(zfTestModel({ inputSize: 64 }), 'zf.onnx');
    const tapped = tapModel(model, ['logits', 'conv1', 'conv1']);
    expect(tapped.model.graph!.output.map((o) => o.name)).toEqual(['logits', 'conv1', 'pool1__switches', 'pool2__switches', 'pool5__switches']);
    expect(() => tapModel(model, ['conv9'])).toThrow(/cannot tap "conv9": no node of the model produces a tensor of that name/);
    expect(() => tapModel(model, ['input'])).toThrow(/cannot tap "input"/);
  });

  it('opset 7 MaxPool has no Indices output: an error naming the node', () => {
    const b = new GraphBuilder({ opset: 7 });
    b.output(b.maxPool(b.input('x', [1, 1, 4, 4]), { kernel: 2, stride: 2, name: 'old_pool' }));
    const model = parseModel(b.build(), 'old.onnx');
    expect(() => tapModel(model, [])).toThrow(/MaxPool "old_pool" cannot report its switches: opset 7 < 8/);
  });

  it('types tapped outputs by inference: an int64 Cast on the spine (no value_info) loads in onnxruntime; a bool layer is left untapped', async () => {
    const bytes = mixedTypesTestModel();
    const model = parseModel(bytes, 'mixed.onnx');
    expect(model.graph!.valueInfo).toHaveLength(0);
    // What tapping did before: every tap declared float. onnxruntime refuses that model.
    const floatTyped = parseModel(bytes, 'mixed.onnx');
    floatTyped.graph!.output.push(valueInfo('as_int', T.FLOAT, null));
    await expect(run(serializeModel(floatTyped), 'x', randomInput(256, 1), [1, 1, 16, 16])).rejects.toThrow(/Type Error/);

    const tapped = tapModel(model, 'all');
    const layers = analyzeGraph(model, 'mixed.onnx').layers.map((l) => l.id);
    expect(layers).toEqual(expect.arrayContaining(['r1', 'as_int', 'as_float', 'positive', 'leaky', 'pool', 'flat', 'logits']));
    expect(tapped.untapped).toEqual([{ id: 'positive', elemType: T.BOOL }]);
    expect(tapped.layerOutputs).toEqual(layers.filter((l) => l !== 'positive'));
    const declared = Object.fromEntries(tapped.model.graph!.output.map((o) => [o.name, o.type?.value.case === 'tensorType' ? o.type.value.value.elemType : null]));
    expect(declared).toMatchObject({ as_int: T.INT64, as_float: T.FLOAT, r1: T.FLOAT, leaky: T.FLOAT, pool: T.FLOAT, pool__switches: T.INT64, logits: T.FLOAT });
    const x = randomInput(2 * 256, 2);
    const out = await run(serializeModel(tapped.model), 'x', x, [2, 1, 16, 16]);
    const plain = await run(bytes, 'x', x, [2, 1, 16, 16]);
    expect(out.as_int.type).toBe('int64');
    expect(Array.from(out.logits.data as Float32Array)).toEqual(Array.from(plain.logits.data as Float32Array));
    checkSwitches(out, tapped.switches[0]);
    // Asked for by name, any type is an output, typed as inferred.
    const named = withOutputs(model, ['positive', 'as_int']);
    const both = await run(serializeModel(named), 'x', x, [2, 1, 16, 16]);
    expect([both.positive.type, both.as_int.type]).toEqual(['bool', 'int64']);
  });

  it('declares no type where inference cannot tell (an op of another domain), which onnxruntime accepts', async () => {
    const b = new GraphBuilder({ seed: 5 });
    let h = b.input('x', ['N', 1, 8, 8]);
    h = b.relu(b.conv(h, { outChannels: 2, kernel: 3, pad: 1 }), 'r1');
    // com.microsoft's Gelu: onnxruntime knows it, the rules do not.
    const [g] = b.node('Gelu', [h], {}, 1, { name: 'gelu', domain: 'com.microsoft', shapes: [b.shape(h)] });
    b.output(b.gemm(b.flatten(g), { out: 2 }), 'y');
    const model = b.model();
    model.opsetImport.push({ ...model.opsetImport[0], domain: 'com.microsoft', version: 1n });
    const tapped = tapModel(model, 'all');
    const gelu = tapped.model.graph!.output.find((o) => o.name === 'gelu')!;
    expect(gelu.type).toBeUndefined();
    const out = await run(serializeModel(tapped.model), 'x', randomInput(64, 3), [1, 1, 8, 8]);
    expect(out.gelu.type).toBe('float32');
    expect(out.gelu.dims).toEqual([1, 2, 8, 8]);
  });
});

describe('serveTapped and switchesModel', () => {
  /** Pools with every attribute, one with its own Indices output, and ties (zeros after ReLU). */
  function poolsModel() {
    const b = new GraphBuilder({ opset: 13, seed: 4 });
    let h = b.input('x', [3, 1, 19, 17]);
    h = b.relu(b.conv(h, { outChannels: 3, kernel: 3 }), 'r1');
    h = b.maxPool(h, { kernel: [3, 2], stride: [2, 1], pad: [1, 0, 1, 1], dilation: [2, 1], name: 'p1' });
    h = b.relu(b.conv(h, { outChannels: 3, kernel: 1 }), 'r2');
    h = b.maxPool(h, { kernel: 2, stride: 2, ceilMode: true, indices: true, name: 'p2' });
    b.output(b.gemm(b.flatten(h), { out: 3 }), 'y');
    return b.build();
  }

  it('taps the layers and the pools\' inputs, not the switches, and leaves the parsed model as it was', async () => {
    const bytes = poolsModel();
    const model = parseModel(bytes, 'pools.onnx');
    const before = serializeModel(model);
    const served = serveTapped(model, 'all');
    expect(serializeModel(model)).toEqual(before);
    const outputs = parseModel(served.bytes, 'served.onnx').graph!.output.map((v) => v.name);
    expect(outputs).toEqual(expect.arrayContaining(['y', ...served.layerOutputs, ...served.poolInputs]));
    expect(served.poolInputs).toEqual(['r1', 'r2']);
    // p2's own Indices output stays what the model makes of it: not an output here.
    for (const sw of served.switches) expect(outputs).not.toContain(sw.indices);
    const x = randomInput(3 * 19 * 17, 8);
    const out = await run(served.bytes, 'x', x, [3, 1, 19, 17]);
    const plain = await run(bytes, 'x', x, [3, 1, 19, 17]);
    expect(Array.from(out.y.data as Float32Array)).toEqual(Array.from(plain.y.data as Float32Array));
  });

  it('computes from the pools\' inputs exactly the switches the fully tapped model outputs', async () => {
    const model = parseModel(poolsModel(), 'pools.onnx');
    const tapped = tapModel(model, 'all');
    const x = randomInput(3 * 19 * 17, 9);
    const full = await run(serializeModel(tapped.model), 'x', x, [3, 1, 19, 17]);
    const pools = await ort.InferenceSession.create(switchesModel(model, tapped.switches), { logSeverityLevel: 3 });
    try {
      const feeds = Object.fromEntries(pools.inputNames.map((n) => [n, full[n]]));
      expect([...pools.inputNames].sort()).toEqual(['r1', 'r2']);
      const got = await pools.run(feeds);
      let ties = 0;
      for (const sw of tapped.switches) {
        expect(got[sw.indices].dims).toEqual(full[sw.indices].dims);
        expect(Array.from(got[sw.indices].data as BigInt64Array)).toEqual(Array.from(full[sw.indices].data as BigInt64Array));
        ties += checkSwitches({ ...full, [sw.indices]: got[sw.indices] }, sw);
      }
      expect(ties, 'ties exercised').toBeGreaterThan(0);
    } finally {
      await pools.release();
    }
  });
});
