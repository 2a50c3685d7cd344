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

  it('round-trips the Occlusion view\'s occluder, class and map', () => {
    const s = { view: 'occlusion' as const, occlusion: { size: 8, stride: 1, targetClass: 0, layer: '/conv5/Conv_output_0', channel: 12 } };
    expect(decodeUrlState(encodeUrlState(s))).toEqual(s);
    expect(decodeUrlState(encodeUrlState({ occlusion: { stride: 3 } }))).toEqual({ occlusion: { stride: 3 } });
    // A map is a layer and a channel together; sizes are positive.
    expect(decodeUrlState('#ol=%2Fconv5&os=0&ot=-2')).toEqual({});
    expect(decodeUrlState('#om=4')).toEqual({});
  });

  it('round-trips the Invariance view\'s transform, ranges and layers (names with commas and & included)', () => {
    const s = {
      view: 'invariance' as const,
      invariance: {
        transform: 'rotate' as const,
        ranges: { rotate: { from: 0, to: 350, steps: 36 }, scale: { from: 1, to: 1.8, steps: 9 }, 'translate-x': { from: -60.5, to: 60, steps: 1 } },
        layers: ['/a,b/Relu&x', '/conv2/Conv_output_0'],
      },
    };
    expect(decodeUrlState(encodeUrlState(s))).toEqual(s);
  });

  it('leaves out malformed invariance settings', () => {
    expect(decodeUrlState('#it=shear&r-rotate=0,350&r-scale=1,2,0&r-translate-x=a,1,2&r-translate-y=0,1,1001&il=')).toEqual({});
    expect(decodeUrlState('#' + Array.from({ length: 33 }, (_, i) => `il=l${i}`).join('&'))).toEqual({});
    expect(decodeUrlState('#r-scale=1,1.5,5&il=x')).toEqual({ invariance: { ranges: { scale: { from: 1, to: 1.5, steps: 5 } }, layers: ['x'] } });
  });
});
