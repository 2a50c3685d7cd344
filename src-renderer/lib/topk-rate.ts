// Images per second and time left of a running scan, from its progress events (the meter is shared
// with the running-jobs strip and the CLI: common/progress-text.ts).

export { RateMeter } from '../../src-main/common/progress-text.ts';

/** "42 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
