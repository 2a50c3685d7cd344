import { describe, expect, it } from 'vitest';
import { decodeUrlState, encodeUrlState } from './url-state.ts';

describe('url state', () => {
  it('round-trips a view, image, layer and map, names with any characters included', () => {
    const s = { view: 'layers' as const, index: 12, image: 'c3/img #7&x=1.png', layer: '/features/features.11/Relu_output_0', map: 65 };
    expect(decodeUrlState(encodeUrlState(s))).toEqual(s);
    expect(encodeUrlState(s)).toMatch(/^#view=layers&i=12&image=/);
  });

  it('the default view and missing parts say nothing', () => {
    expect(encodeUrlState({ view: 'image' })).toBe('');
    expect(encodeUrlState({})).toBe('');
    expect(decodeUrlState('')).toEqual({});
  });

  it('leaves out what is malformed or unknown', () => {
    expect(decodeUrlState('#view=admin&i=-1&map=1e3&layer=&image=' + 'x'.repeat(1001))).toEqual({});
    expect(decodeUrlState('#view=topk&i=007&map=3')).toEqual({ view: 'topk', index: 7, map: 3 });
  });
});
