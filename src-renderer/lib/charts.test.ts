import { describe, expect, it } from 'vitest';
import { Chart, legendSample } from './charts.ts';

describe('legend samples', () => {
  it('a dashed line series is sampled as a line with its dash, colour and width', () => {
    expect(legendSample({ borderColor: '#b0b4bc', borderDash: [6, 4], borderWidth: 1.5, fill: false }, 'line')).toEqual({ pointStyle: 'line', lineDash: [6, 4], lineWidth: 1.5, strokeStyle: '#b0b4bc' });
    expect(legendSample({ borderColor: '#4f9dff', borderWidth: 3 }, 'line')).toEqual({ pointStyle: 'line', lineDash: [], lineWidth: 3, strokeStyle: '#4f9dff' });
    expect(legendSample({ borderColor: '#4f9dff', showLine: true }, 'scatter')?.pointStyle).toBe('line');
  });

  it('bands, bars and points keep a box', () => {
    expect(legendSample({ fill: '+1', borderWidth: 0 }, 'line')).toBeNull();
    expect(legendSample({ borderDash: [5, 3] }, 'bar')).toBeNull();
    expect(legendSample({}, 'scatter')).toBeNull();
  });

  it('is every chart’s legend, drawn as point styles wide enough to show a dash', () => {
    const labels = Chart.defaults.plugins.legend.labels;
    expect(labels.usePointStyle).toBe(true);
    expect(labels.pointStyleWidth).toBeGreaterThanOrEqual(2 * (6 + 4));
    expect(labels.generateLabels.name).toBe('seriesLegendLabels');
  });
});
