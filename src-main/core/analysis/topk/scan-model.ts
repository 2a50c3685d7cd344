// The model a scan runs: the original graph with just the scanned tensors added as outputs. The
// fully tapped session (every layer plus every MaxPool's switches) runs about half as fast, and a
// scan needs neither the other layers nor the switches (measured on zf-mini, batch 16 on CPU:
// untapped 674 img/s, this 743, fully tapped 366).
import { clone, create } from '@bufbuild/protobuf';
import { ModelProtoSchema, TypeProtoSchema, TypeProto_TensorSchema, ValueInfoProtoSchema, type ModelProto } from 'onnx-buf';
import { AppError } from '../../../common/errors.ts';
import { loadModelFile, serializeModel } from '../../onnx/index.ts';
import type { RuntimeHost } from '../../runtime/host.ts';
import type { ModelSession } from '../../service/model-session.ts';
import type { BatchForward } from '../map-maxima.ts';

const FLOAT = 1;

/** A copy of `model` with `names` (float tensors some node produces) among its outputs. */
export function withOutputs(model: ModelProto, names: readonly string[]): ModelProto {
  const m = clone(ModelProtoSchema, model);
  const graph = m.graph;
  if (!graph) throw new AppError('MODEL_UNSUPPORTED', 'the model has no graph');
  const produced = new Set(graph.node.flatMap((n) => n.output));
  const outputs = new Set(graph.output.map((o) => o.name));
  for (const name of names) {
    if (!produced.has(name)) throw new AppError('NOT_FOUND', `no node of the model produces "${name}"`, { layer: name });
    if (outputs.has(name)) continue;
    outputs.add(name);
    graph.output.push(create(ValueInfoProtoSchema, { name, type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType: FLOAT }) } }) }));
  }
  return m;
}

export interface ScanForward {
  forward: BatchForward;
  release(): Promise<void>;
}

/** Loads the scan model of `tensors` into `host` beside the open model (same provider). */
export async function openScanForward(host: RuntimeHost, model: ModelSession, tensors: readonly string[]): Promise<ScanForward> {
  const { model: proto } = await loadModelFile(model.info.path);
  const key = `${model.key}|scan|${[...tensors].sort().join('|')}`;
  const providers = model.info.provider === 'cuda' ? (['cuda', 'cpu'] as const) : (['cpu'] as const);
  await host.load(key, serializeModel(withOutputs(proto, tensors)), { providers: [...providers], reason: model.info.providerReason });
  const { channels, height, width, name } = model.info.input;
  return {
    forward: (batch, n, fetches) => host.run(key, { [name]: { dims: [n, channels, height, width], data: batch } }, fetches),
    release: () => host.release(key),
  };
}
