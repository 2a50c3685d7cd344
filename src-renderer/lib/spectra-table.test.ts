import { describe, expect, it } from 'vitest';
import type { FilterSpectraResult, FilterStats } from '../../src-main/common/api-spectra.ts';
import { spectraCsv, spectraFileBase, visibleFilters } from './spectra-table.ts';

const f = (index: number, rms: number, aliasingFraction: number, flags: FilterStats['flags'] = [], firingRate?: number): FilterStats => ({
  index, rms, centroid: rms / 10, bands: { low: 1 - aliasingFraction, mid: aliasingFraction, high: 0 }, aliasingFraction, flags,
  reasons: Object.fromEntries(flags.map((fl) => [fl, `why ${fl}, "quoted"`])), ...(firingRate === undefined ? {} : { firingRate }),
});
const filters = [f(0, 1, 0.2), f(1, 0, 0, ['dead'], 0), f(2, 5, 0.7, ['dominant', 'aliasing'], 1), f(3, 1, 0.6, ['aliasing'], 0.5)];

describe('filter table', () => {
  it('sorts metrics descending with ties by index, the index ascending', () => {
    expect(visibleFilters(filters, 'rms', 'all').map((x) => x.index)).toEqual([2, 0, 3, 1]);
    expect(visibleFilters(filters, 'aliasingFraction', 'all').map((x) => x.index)).toEqual([2, 3, 0, 1]);
    expect(visibleFilters(filters, 'mid', 'all').map((x) => x.index)).toEqual([2, 3, 0, 1]);
    expect(visibleFilters(filters, 'index', 'all').map((x) => x.index)).toEqual([0, 1, 2, 3]);
    // No scan yet: firing rate sorts last.
    expect(visibleFilters(filters, 'firingRate', 'all').map((x) => x.index)).toEqual([2, 3, 1, 0]);
  });

  it('filters by flag', () => {
    expect(visibleFilters(filters, 'index', 'aliasing').map((x) => x.index)).toEqual([2, 3]);
    expect(visibleFilters(filters, 'index', 'dead').map((x) => x.index)).toEqual([1]);
    expect(visibleFilters(filters, 'index', 'flagged').map((x) => x.index)).toEqual([1, 2, 3]);
    expect(visibleFilters(filters, 'index', 'dominant').map((x) => x.index)).toEqual([2]);
  });

  it('CSV: a header, one row per filter at full precision, reasons quoted', () => {
    const r = { model: { name: 'm.onnx', path: '/m.onnx' }, layer: '/conv1/Conv_output_0', filters } as unknown as FilterSpectraResult;
    const lines = spectraCsv(r).trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('model,layer,filter,rms,centroid,low,mid,high,aliasingFraction,firingRate,flags,reasons');
    expect(lines[1]).toBe('m.onnx,/conv1/Conv_output_0,0,1,0.1,0.8,0.2,0,0.2,,,');
    expect(lines[3]).toBe('m.onnx,/conv1/Conv_output_0,2,5,0.5,0.30000000000000004,0.7,0,0.7,1,dominant aliasing,"dominant: why dominant, ""quoted""; aliasing: why aliasing, ""quoted"""');
    expect(spectraFileBase(r)).toBe('m-conv1-spectra');
  });
});
