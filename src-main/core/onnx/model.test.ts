import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import * as ort from 'onnxruntime-node';
import { GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProto_DataLocation } from 'onnx-buf';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from './builder.ts';
import { ModelError, loadModelFile, parseModel, serializeModel } from './model.ts';
import { seededRandom } from './seeded-random.ts';
import { tensorToFloat32 } from './tensor.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'torch-expected.json'), 'utf8')) as {
  models: Record<string, { batch: number; dims: number[]; logits: number[] }>;
};
const tmp = mkdtempSync(join(tmpdir(), 'convscope-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The input export-torch.py feeds: linspace(-1, 1, n) in float64, rounded to float32. */
function torchInput(batch: number): Float32Array {
  const n = batch * 3 * 16 * 16;
  return Float32Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
}

async function runOrt(bytes: Uint8Array, input: string, data: Float32Array, dims: number[]): Promise<Record<string, ort.Tensor>> {
  const s = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  try {
    return await s.run({ [input]: new ort.Tensor('float32', data, dims) });
  } finally {
    await s.release();
  }
}

function catchModelError(f: () => unknown): ModelError {
  try {
    f();
  } catch (e) {
    if (e instanceof ModelError) return e;
    throw new Error(`expected a ModelError, got ${String(e)}`);
  }
  throw new Error('expected a ModelError, nothing was thrown');
}

function smallModel(): Uint8Array {
  const b = new GraphBuilder({ seed: 3 });
  let h = b.input('input', ['N', 1, 8, 8]);
  h = b.relu(b.conv(h, { outChannels: 2, kernel: 3, pad: 1 }));
  h = b.gemm(b.flatten(h), { out: 4 });
  b.output(h, 'logits');
  return b.build();
}

describe('parseModel: what is not a model', () => {
  it('an empty buffer is MODEL_EMPTY, named', () => {
    const e = catchModelError(() => parseModel(new Uint8Array(0), '/models/empty.onnx'));
    expect(e.code).toBe('MODEL_EMPTY');
    expect(e.message).toBe('empty.onnx is empty');
    expect(e.file).toBe('/models/empty.onnx');
  });

  it('random bytes are MODEL_NOT_ONNX, whether they throw in the decoder or decode to garbage', () => {
    const rnd = seededRandom(11);
    for (let trial = 0; trial < 300; trial++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => Math.floor(rnd() * 256));
      const e = catchModelError(() => parseModel(bytes, 'noise.bin'));
      expect(e.code).toBe('MODEL_NOT_ONNX');
      expect(e.message).toMatch(/^noise\.bin is not an ONNX model \(.+\)$/);
    }
  });

  it('a few valid protobuf fields are not enough: the checks name what is missing', () => {
    const onlyIr = new BinaryWriter().tag(1, WireType.Varint).int64(8).finish();
    expect(catchModelError(() => parseModel(onlyIr, 'a.onnx')).message).toBe('a.onnx is not an ONNX model (no graph and no opset import)');
    const noIr = fromBinary(ModelProtoSchema, smallModel());
    noIr.irVersion = 0n;
    expect(catchModelError(() => parseModel(toBinary(ModelProtoSchema, noIr), 'c.onnx')).message).toBe('c.onnx is not an ONNX model (no IR version)');
    const m = fromBinary(ModelProtoSchema, smallModel());
    m.graph!.node = [];
    expect(catchModelError(() => parseModel(toBinary(ModelProtoSchema, m), 'b.onnx')).message).toMatch(/b\.onnx is not an ONNX model \(the graph has no nodes\)/);
  });

  it('truncated files get a "truncated?" hint wherever they are cut', () => {
    const bytes = readFileSync(join(FIXTURES, 'torch-lrn.onnx'));
    const graphStart = bytes.indexOf(0x3a); // field 7 (graph), length-delimited, follows the header
    for (const cut of [graphStart, ...Array.from({ length: 40 }, (_, i) => 1 + i * 389)]) {
      const e = catchModelError(() => parseModel(bytes.subarray(0, cut), 'cut.onnx'));
      expect(e.code).toBe('MODEL_NOT_ONNX');
      expect(e.message, `cut at ${cut}`).toMatch(/truncated\?/);
    }
  });

  it('names familiar formats opened by mistake', () => {
    const zip = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0, 8, 0]);
    expect(catchModelError(() => parseModel(zip, 'resnet.pt')).message).toMatch(/resnet\.pt is not an ONNX model \(a zip archive, e\.g\. a PyTorch \.pt checkpoint/);
    const json = new TextEncoder().encode(' {"inputSize": [224, 224]}');
    expect(catchModelError(() => parseModel(json, 'x.json')).message).toMatch(/looks like JSON/);
  });

  it('a Git LFS pointer saved as .onnx says so and what to do, not protobuf\'s "illegal tag"', async () => {
    const file = join(tmp, 'model.onnx');
    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 243892\n';
    writeFileSync(file, pointer);
    expect(() => fromBinary(ModelProtoSchema, readFileSync(file))).toThrow(/illegal tag/);
    await expect(loadModelFile(file)).rejects.toMatchObject({
      code: 'MODEL_NOT_ONNX',
      message: 'model.onnx is a Git LFS pointer, not the model: run `git lfs pull` in its repository',
    });
  });

  it('an unreadable path is MODEL_READ_FAILED naming the file', async () => {
    await expect(loadModelFile(join(tmp, 'nope.onnx'))).rejects.toMatchObject({ code: 'MODEL_READ_FAILED', message: 'Cannot read nope.onnx: no such file' });
    mkdirSync(join(tmp, 'folder.onnx'));
    await expect(loadModelFile(join(tmp, 'folder.onnx'))).rejects.toMatchObject({ code: 'MODEL_READ_FAILED', message: 'Cannot read folder.onnx: it is a folder' });
  });
});

describe('round trips', () => {
  for (const file of ['torch-lrn.onnx', 'torch-lrn-static.onnx', 'torch-lrn-opset9.onnx']) {
    it(`${file}: parse → serialize gives a model ORT runs to the same outputs, and those match torch`, async () => {
      const original = readFileSync(join(FIXTURES, file));
      const again = serializeModel(parseModel(original, file));
      const { batch, dims, logits } = expected.models[file];
      const x = torchInput(batch);
      const a = (await runOrt(original, 'input', x, [batch, 3, 16, 16])).logits;
      const b = (await runOrt(again, 'input', x, [batch, 3, 16, 16])).logits;
      expect(b.dims).toEqual(dims);
      expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
      const got = b.data as Float32Array;
      logits.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5));
    });
  }

  it('keeps fields this ONNX version does not know, at every level, through decode → encode', async () => {
    const model = fromBinary(ModelProtoSchema, smallModel());
    const unknown = (no: number, text: string) => new BinaryWriter().tag(no, WireType.LengthDelimited).string(text).finish();
    const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
    // Hand-assemble model { graph { node { ..., 900 }, ..., 901 }, ..., 902 } so the decoder meets them.
    const nodes = model.graph!.node.map((n, i) => {
      const bytes = cat(toBinary(NodeProtoSchema, n), i === 0 ? unknown(900, 'future-node-field') : new Uint8Array(0));
      return new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(bytes).finish();
    });
    const rest = clone(GraphProtoSchema, model.graph!);
    rest.node = [];
    const graph = cat(...nodes, toBinary(GraphProtoSchema, rest), unknown(901, 'future-graph-field'));
    const top = clone(ModelProtoSchema, model);
    top.graph = undefined;
    const bytes = cat(toBinary(ModelProtoSchema, top), new BinaryWriter().tag(7, WireType.LengthDelimited).bytes(graph).finish(), unknown(902, 'future-model-field'));

    const parsed = parseModel(bytes, 'future.onnx');
    const out = serializeModel(parsed);
    const reread = fromBinary(ModelProtoSchema, out);
    const text = (u: { $unknown?: { no: number; data: Uint8Array }[] }) => (u.$unknown ?? []).map((f) => [f.no, new TextDecoder().decode(f.data.subarray(1))]);
    expect(text(reread)).toEqual([[902, 'future-model-field']]);
    expect(text(reread.graph!)).toEqual([[901, 'future-graph-field']]);
    expect(text(reread.graph!.node[0])).toEqual([[900, 'future-node-field']]);
    expect(reread.graph!.node.length).toBe(model.graph!.node.length);

    const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const want = (await runOrt(smallModel(), 'input', x, [1, 1, 8, 8])).logits.data;
    expect((await runOrt(bytes, 'input', x, [1, 1, 8, 8])).logits.data).toEqual(want);
    expect((await runOrt(out, 'input', x, [1, 1, 8, 8])).logits.data).toEqual(want);
  });
});

describe('external data', () => {
  const ext = 'torch-lrn-external.onnx';

  function copyExternal(dir: string): string {
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FIXTURES, ext), join(dir, ext));
    copyFileSync(join(FIXTURES, `${ext}.data`), join(dir, `${ext}.data`));
    return join(dir, ext);
  }

  /** Rewrites one initializer's external_data keys in a copy of the fixture. */
  function withKeys(dir: string, tensor: string, keys: Record<string, string>): string {
    const path = copyExternal(dir);
    const m = fromBinary(ModelProtoSchema, readFileSync(path));
    const t = m.graph!.initializer.find((i) => i.name === tensor)!;
    for (const e of t.externalData) if (e.key in keys) e.value = keys[e.key];
    writeFileSync(path, toBinary(ModelProtoSchema, m));
    return path;
  }

  it('inlines the tensors from the file beside the model; the returned bytes run without it', async () => {
    const { model, bytes } = await loadModelFile(join(FIXTURES, ext));
    for (const t of model.graph!.initializer) {
      expect(t.dataLocation).toBe(TensorProto_DataLocation.DEFAULT);
      expect(t.externalData).toEqual([]);
    }
    const plain = parseModel(readFileSync(join(FIXTURES, 'torch-lrn.onnx')), 'torch-lrn.onnx');
    const w = plain.graph!.initializer.find((t) => t.name === 'features.4.weight')!;
    expect(Array.from(tensorToFloat32(model.graph!.initializer.find((t) => t.name === 'features.4.weight')!))).toEqual(Array.from(tensorToFloat32(w)));
    const { batch, logits } = expected.models[ext];
    const got = (await runOrt(bytes, 'input', torchInput(batch), [batch, 3, 16, 16])).logits.data as Float32Array;
    logits.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-5));
  });

  it('a missing data file is MODEL_EXTERNAL_DATA naming the tensor and the file', async () => {
    const path = copyExternal(join(tmp, 'missing'));
    rmSync(`${path}.data`);
    await expect(loadModelFile(path)).rejects.toMatchObject({
      code: 'MODEL_EXTERNAL_DATA',
      message: 'torch-lrn-external.onnx: tensor "features.0.weight" keeps its values in "torch-lrn-external.onnx.data", which is missing beside the model',
    });
  });

  it('a data file that is a Git LFS pointer says so and what to do', async () => {
    const path = copyExternal(join(tmp, 'lfs'));
    writeFileSync(`${path}.data`, 'version https://git-lfs.github.com/spec/v1\noid sha256:0f3c\nsize 3872\n');
    await expect(loadModelFile(path)).rejects.toMatchObject({
      code: 'MODEL_EXTERNAL_DATA',
      message: expect.stringMatching(/^torch-lrn-external\.onnx: tensor "[^"]+" keeps its values in "torch-lrn-external\.onnx\.data", which is a Git LFS pointer, not the data: run `git lfs pull` in its repository$/),
    });
  });

  it('a data file too short for a tensor says so (truncated?)', async () => {
    const path = copyExternal(join(tmp, 'short'));
    truncateSync(`${path}.data`, 3000);
    await expect(loadModelFile(path)).rejects.toMatchObject({
      code: 'MODEL_EXTERNAL_DATA',
      message: expect.stringMatching(/tensor "classifier\.weight" needs bytes 2432…3872 of "torch-lrn-external\.onnx\.data" but the file has 3000; truncated\?/),
    });
  });

  it('refuses locations outside the model folder, even when the file exists', async () => {
    writeFileSync(join(tmp, 'secret.bin'), new Uint8Array(4096));
    const up = withKeys(join(tmp, 'escape'), 'features.0.bias', { location: '../secret.bin' });
    await expect(loadModelFile(up)).rejects.toMatchObject({ code: 'MODEL_EXTERNAL_DATA', message: expect.stringMatching(/tensor "features\.0\.bias" points outside the model's folder \("\.\.\/secret\.bin"\)/) });
    const abs = withKeys(join(tmp, 'absolute'), 'features.0.bias', { location: join(tmp, 'secret.bin') });
    await expect(loadModelFile(abs)).rejects.toMatchObject({ code: 'MODEL_EXTERNAL_DATA', message: expect.stringMatching(/points outside the model's folder/) });
  });

  it('checks the length against the dims', async () => {
    const path = withKeys(join(tmp, 'length'), 'features.0.bias', { length: '20' });
    await expect(loadModelFile(path)).rejects.toMatchObject({ message: expect.stringMatching(/"features\.0\.bias" has 20 bytes in .* but its dims need 24/) });
  });

  it('bytes without a folder cannot resolve external data, and say how to fix it', () => {
    const e = catchModelError(() => parseModel(readFileSync(join(FIXTURES, ext)), ext));
    expect(e.code).toBe('MODEL_EXTERNAL_DATA');
    expect(e.message).toMatch(/open the model from its folder/);
    expect(e.details).toMatchObject({ tensor: 'features.0.weight' });
  });
});
