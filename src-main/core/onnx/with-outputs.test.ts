import { describe, expect, it } from 'vitest';
import { parseModel, withOutputs, zfTestModel } from './index.ts';

describe('withOutputs', () => {
  it('adds only the asked tensors as outputs (no switches), once, and names a missing one', () => {
    const model = parseModel(zfTestModel({ inputSize: 64, channels: 1, classes: 3 }), 'zf');
    const m = withOutputs(model, ['relu2', 'relu5', 'logits', 'relu2']);
    expect(m.graph!.output.map((o) => o.name)).toEqual(['logits', 'relu2', 'relu5']);
    expect(model.graph!.output.map((o) => o.name)).toEqual(['logits']);
    expect(() => withOutputs(model, ['conv9'])).toThrow(/no node of the model produces "conv9"/);
  });
});
