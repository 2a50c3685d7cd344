// Argument limits that depend on the open model (the schemas in common/ bound what any model could
// take): occluder sizes within the input, channels within the layer, positions within its maps,
// classes within the output. Same code and wording as the dispatcher's: INVALID_ARGUMENT, naming the
// call and the argument (common/arg-checks.ts).
import { checkInt, invalidArgument } from '../../common/arg-checks.ts';
import { quoted } from '../../common/text.ts';
import type { Preprocessing } from '../../common/types.ts';
import type { ModelSession } from '../model/model-session.ts';

export function inputWhy(model: ModelSession): string {
  return `the model input is ${model.info.input.height}×${model.info.input.width}`;
}

/** A channel of a layer whose one-sample maps are C×H×W. */
export function checkChannel(method: string, name: string, channel: number | undefined, layer: string, dims: readonly [number, number, number] | null): void {
  if (!dims) return;
  checkInt(method, name, channel, 0, dims[0] - 1, `layer ${quoted(layer)} has ${dims[0]} map${dims[0] === 1 ? '' : 's'}`);
}

/** A (y, x) position in a map of a layer whose one-sample maps are C×H×W. */
export function checkPosition(method: string, name: string, position: readonly [number, number] | undefined, layer: string, dims: readonly [number, number, number] | null): void {
  if (!dims || !position) return;
  const why = `layer ${quoted(layer)} has ${dims[1]}×${dims[2]} maps`;
  checkInt(method, `${name}[0]`, position[0], 0, dims[1] - 1, why);
  checkInt(method, `${name}[1]`, position[1], 0, dims[2] - 1, why);
}

/** Occluder side and stride: the square must fit the input; a stride past the larger side adds no position. */
export function checkOccluder(method: string, model: ModelSession, size: number | undefined, stride: number | undefined): void {
  const { height, width } = model.info.input;
  checkInt(method, 'size', size, 1, Math.min(height, width), inputWhy(model));
  checkInt(method, 'stride', stride, 1, Math.max(height, width), inputWhy(model));
}

export function checkClass(method: string, name: string, value: number | undefined, model: ModelSession): void {
  const K = model.info.numClasses;
  checkInt(method, name, value, 0, K - 1, `${model.info.name} has ${K} class${K === 1 ? '' : 'es'}`);
}

/**
 * What of a preprocessing must fit the model: its input size and channel count (the sidecar checks
 * the rest again). `details.field` names the form field, as the sidecar's own errors do.
 */
export function checkPreprocessing(p: Preprocessing, model: ModelSession): void {
  const { channels, height, width } = model.info.input;
  const fail = (field: keyof Preprocessing, expectation: string, value: unknown) =>
    invalidArgument('savePreprocessing', `preprocessing.${field}`, expectation, value, { field });
  const has = `the model has ${channels} channel${channels === 1 ? '' : 's'}`;
  if (p.inputSize[0] !== height || p.inputSize[1] !== width) throw fail('inputSize', `must be [${height}, ${width}] (${inputWhy(model)})`, p.inputSize);
  const fits = channels === 1 ? ['gray'] : ['RGB', 'BGR'];
  if (!fits.includes(p.channels)) throw fail('channels', `must be ${fits.map((c) => `"${c}"`).join(' or ')} (${has})`, p.channels);
  for (const field of ['mean', 'std'] as const) {
    if (p[field].length !== channels) throw fail(field, `must be a list of ${channels} number${channels === 1 ? '' : 's'} (${has})`, p[field]);
  }
  const { layout } = model.info.input;
  if (p.layout !== undefined && p.layout !== layout) throw fail('layout', `must be "${layout}" (the model's input is ${layout === 'NHWC' ? 'N×H×W×C' : 'N×C×H×W'}), or left out`, p.layout);
}
