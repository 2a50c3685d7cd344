// How the runtime process creates a model's onnxruntime session: CUDA first when chosen (falling
// back to the CPU with the reason), and a model whose weights are references into its file
// (onnx/weights-by-reference.ts) with those weights inline when onnxruntime refuses the references.
import * as ort from 'onnxruntime-node';
import { AppError } from '../../common/errors.ts';
import type { Provider } from '../../common/api.ts';
import { explainOrtError } from './ort-errors.ts';
import { sessionOptions } from './ort-options.ts';

async function createSession(bytes: Uint8Array, name: string, providers: Provider[], reason: string, externalFolder?: string): Promise<{ session: ort.InferenceSession; provider: Provider; providerReason: string }> {
  const options = sessionOptions('model', externalFolder);
  if (providers[0] === 'cuda') {
    try {
      return { session: await ort.InferenceSession.create(bytes, { ...options, executionProviders: ['cuda', 'cpu'] }), provider: 'cuda', providerReason: reason };
    } catch (e) {
      reason = `the CUDA provider failed to start (${explainOrtError((e as Error).message, name).split('\n')[0]})`;
    }
  }
  try {
    return { session: await ort.InferenceSession.create(bytes, { ...options, executionProviders: ['cpu'] }), provider: 'cpu', providerReason: reason };
  } catch (e) {
    const why = explainOrtError((e as Error).message, name);
    throw new AppError('MODEL_UNSUPPORTED', why.startsWith(name) ? why : `onnxruntime cannot run ${name}: ${why}`);
  }
}

/** A model as handed to onnxruntime: its bytes, and where its weights are when they are references (weights-by-reference.ts). */
export interface SessionBytes {
  bytes: Uint8Array;
  externalFolder?: string;
  /** How many constants are references. */
  referenced?: number;
}

/**
 * The session of `first`; when that is a copy whose weights are references into the file and
 * onnxruntime refuses it (a file name it will not resolve, say), the same model with its weights
 * inline (`inline()`), whose failure is then the one reported.
 */
export async function createSessionOf(first: SessionBytes, inline: () => Promise<Uint8Array>, name: string, providers: Provider[], reason: string) {
  if (first.externalFolder === undefined) return { ...(await createSession(first.bytes, name, providers, reason)), referenced: 0 };
  try {
    return { ...(await createSession(first.bytes, name, providers, reason, first.externalFolder)), referenced: first.referenced ?? 0 };
  } catch {
    return { ...(await createSession(await inline(), name, providers, reason)), referenced: 0 };
  }
}
