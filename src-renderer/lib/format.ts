// Display formatting for model facts: shapes, sizes, parameter counts, receptive fields, probabilities.
import type { Dim, ReceptiveField } from '../../src-main/common/types.ts';

const TIMES = '×';

/** `[1, 32, 14, 14]` → `1×32×14×14`; symbolic dims are kept (`N×1×28×28`); empty → `—`. */
export function formatShape(dims: readonly Dim[]): string {
  if (dims.length === 0) return '—';
  return dims.map((d) => (typeof d === 'number' && d < 0 ? '?' : String(d))).join(TIMES);
}

/** Bytes in binary units with three significant digits: `1.23 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}

/** Parameter counts compactly: `0` → `—`, `864`, `12.3k`, `1.25M`. */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '—';
  if (n < 1000) return String(n);
  if (n < 1e6) return `${trim(n / 1e3)}k`;
  if (n < 1e9) return `${trim(n / 1e6)}M`;
  return `${trim(n / 1e9)}G`;
}

function trim(v: number): string {
  return trimZeros(v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
}

/** Drops trailing zeros after a decimal point: `0.500` → `0.5`, `10.0` → `10`, `100` stays. */
export function trimZeros(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

/** A number in at most `digits` decimals without trailing zeros: `0.2860` → `0.286`. */
export function formatNumber(v: number, digits = 3): string {
  return Number.isInteger(v) ? String(v) : trimZeros(v.toFixed(digits));
}

/** A [y, x] pair shown once when both axes agree: `[7, 7]` → `7`, `[7, 5]` → `7×5`. */
export function formatPair(p: readonly [number, number]): string {
  const [y, x] = p;
  return y === x ? fmtNum(y) : `${fmtNum(y)}${TIMES}${fmtNum(x)}`;
}

function fmtNum(v: number): string {
  return formatNumber(v, 2);
}

export interface ReceptiveFieldText {
  size: string;
  stride: string;
  offset: string;
}

export function formatReceptiveField(rf: ReceptiveField | null): ReceptiveFieldText {
  if (!rf) return { size: '—', stride: '—', offset: '—' };
  return { size: formatPair(rf.size), stride: formatPair(rf.stride), offset: formatPair(rf.offset) };
}

/** Probabilities as percentages with enough digits to tell small values apart: `97.3%`, `0.04%`, `<0.01%`. */
export function formatPercent(p: number): string {
  if (!Number.isFinite(p)) return '—';
  const v = p * 100;
  if (v === 0) return '0%';
  if (v < 0.01) return '<0.01%';
  if (v < 1) return `${v.toFixed(2)}%`;
  if (v >= 99.95 && v < 100) return '>99.9%';
  return `${v.toFixed(1)}%`;
}

/** The last path segment, for either separator. */
export function baseName(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? p;
}

/** The folder of a path, for either separator (`/a/b/c.onnx` → `/a/b`). */
export function dirName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  if (i < 0) return p;
  if (i === 0) return p.slice(0, 1);
  return p.slice(0, i);
}

/** Joins a folder and a name with the separator the folder already uses. */
export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

// The naming rule lives in common so the Model graph and the report name layers as the views do.
export { readLayerName, shortLayerName } from '../../src-main/common/layer-names.ts';

/** Activation values compactly with three significant digits: `3.41`, `12.3`, `1.23k`, `0.0521`, `0`, `−2.5`. */
export function formatActivation(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const sign = v < 0 ? '−' : '';
  if (a >= 1e4) return `${sign}${trim(a / 1e3)}k`;
  if (a >= 1000) return sign + a.toFixed(0);
  if (a < 1e-3) return sign + a.toExponential(1);
  return sign + trimZeros(a.toPrecision(3));
}

/**
 * The two ends of a colour scale, each written with as many significant digits as it takes for them
 * to differ (3 to 6): a scale from 0.1412% to 0.1437% must not read "0.14% … 0.14%".
 */
export function formatRangeEnds(lo: number, hi: number, kind: 'percent' | 'activation'): [string, string] {
  const plain = kind === 'percent' ? formatPercent : formatActivation;
  const a = plain(lo);
  const b = plain(hi);
  if (a !== b || lo === hi || !Number.isFinite(lo) || !Number.isFinite(hi)) return [a, b];
  const scale = kind === 'percent' ? 100 : 1;
  const unit = kind === 'percent' ? '%' : '';
  for (let digits = 4; digits <= 6; digits++) {
    const x = trimZeros((lo * scale).toPrecision(digits));
    const y = trimZeros((hi * scale).toPrecision(digits));
    if (x !== y) return [x + unit, y + unit];
  }
  return [trimZeros((lo * scale).toPrecision(6)) + unit, trimZeros((hi * scale).toPrecision(6)) + unit];
}

/** A run time: `850 ms`, `11.5 s`, `2 min 4 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
