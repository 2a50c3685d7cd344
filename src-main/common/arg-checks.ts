// Argument checks where requests enter the core. Two codes, two kinds of fault:
// - BAD_REQUEST: the request does not have the call's shape (not an object, a field of the wrong
//   JSON type, a required field missing, a field the call does not take);
// - INVALID_ARGUMENT: the shape is right but a value is outside what the analysis can take (a size
//   of 0, a negative scale, NaN, a 2,000-character layer name, an option that does not exist).
// Messages name the call and the argument and say what it must be: `occlusion: "size" must be an
// integer from 1 to 4096, got 0`. The schema builders below carry that "must be" phrase on every
// check of a value, so the dispatcher only adds the call, the argument and what it got; limits that
// depend on the open model are checked in the calls with `checkInt` and the same wording.
import { z } from 'zod';
import { AppError, type ErrorInfo } from './errors.ts';
import { LIMITS } from './limits.ts';
import { quoted, truncateText } from './text.ts';

export { LIMITS };

export function intArg(lo: number, hi: number): z.ZodNumber {
  const error = `must be an integer from ${lo} to ${hi}`;
  return z.number({ error }).int({ error }).min(lo, { error }).max(hi, { error });
}

/** A finite number in [lo, hi], or in (lo, hi] with `aboveLo`. */
export function numberArg(lo: number, hi: number, opts: { aboveLo?: boolean } = {}): z.ZodNumber {
  const error = opts.aboveLo ? `must be a number greater than ${lo} and at most ${hi}` : `must be a number from ${lo} to ${hi}`;
  const n = z.number({ error });
  return (opts.aboveLo ? n.gt(lo, { error }) : n.min(lo, { error })).max(hi, { error });
}

export function textArg(max: number, min = 1): z.ZodString {
  const error = min > 0 ? `must be a string of ${min} to ${max} characters` : `must be a string of at most ${max} characters`;
  return z.string({ error }).min(min, { error }).max(max, { error });
}

export function listArg<T extends z.ZodType>(item: T, min: number, max: number): z.ZodArray<T> {
  const error = `must be a list of ${min} to ${max} items`;
  return z.array(item, { error }).min(min, { error }).max(max, { error });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.map((v) => `"${v}"`).join(', ')}` });
}

export function flagArg(): z.ZodBoolean {
  return z.boolean({ error: 'must be true or false' });
}

/** Where an issue is, as messages write it: `targets[0].channel`. */
export function argPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/** A value as a message shows what it got: numbers as written, strings truncated and quoted, lists by length. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(truncateText(v));
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v === null) return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return 'an empty list';
    if (v.length <= 8 && v.every((x) => typeof x === 'number')) return `[${v.join(', ')}]`;
    return `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  }
  return `a${typeof v === 'object' ? 'n object' : ` ${typeof v}`}`;
}

/** An argument outside what a call can take, in the dispatcher's wording. */
export function invalidArgument(method: string, name: string, expectation: string, value: unknown, details: Record<string, unknown> = {}): AppError {
  return new AppError('INVALID_ARGUMENT', `${method}: "${name}" ${expectation}, got ${describeValue(value)}`, { argument: name, ...details });
}

/** Throws INVALID_ARGUMENT unless `value` (when given) is an integer in lo…hi; `why` says where the limit comes from. */
export function checkInt(method: string, name: string, value: number | undefined, lo: number, hi: number, why?: string): void {
  if (value === undefined || (Number.isInteger(value) && value >= lo && value <= hi)) return;
  if (hi < lo) throw invalidArgument(method, name, `cannot be given${why ? ` (${why})` : ''}`, value);
  throw invalidArgument(method, name, `must be an integer from ${lo} to ${hi}${why ? ` (${why})` : ''}`, value);
}

type Issue = z.core.$ZodIssue;

const a = (what: string) => (/^[aeiou]/.test(what) ? `an ${what}` : `a ${what}`);

function expectation(issue: Issue): string {
  if (issue.message.startsWith('must ')) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${a(issue.expected)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items long' : ''}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : issue.origin === 'array' ? ' items long' : ''}`;
    default:
      return `is invalid (${truncateText(issue.message)})`;
  }
}

function got(issue: Issue, input: unknown): string {
  if ((issue.code === 'too_big' || issue.code === 'too_small') && typeof input === 'string' && issue.origin === 'string') {
    return input.length > 40 ? `${input.length} characters` : describeValue(input);
  }
  return describeValue(input);
}

/** The error envelope of a schema issue (parsed with `reportInput`): which code, and a message naming the argument. */
export function argumentError(method: string, issue: Issue): ErrorInfo {
  const where = argPath(issue.path);
  const name = where ? `"${where}"` : 'the argument';
  const input = (issue as { input?: unknown }).input;
  const details = where ? { argument: where } : undefined;
  const say = (code: 'BAD_REQUEST' | 'INVALID_ARGUMENT', message: string): ErrorInfo => ({ code, message: `${method}: ${message}`, ...(details ? { details } : {}) });
  if (input === undefined && issue.code !== 'unrecognized_keys' && issue.code !== 'custom') return say('BAD_REQUEST', `${name} is required`);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys.slice(0, 3).map((k) => quoted(k, 40)).join(', ');
      const more = issue.keys.length > 3 ? ` and ${issue.keys.length - 3} more` : '';
      const at = where ? ` in "${where}"` : '';
      return say('BAD_REQUEST', `unknown argument${issue.keys.length === 1 ? '' : 's'} ${keys}${more}${at}`);
    }
    case 'invalid_type':
      // A number of the right JSON type but outside the domain (1.5 for an integer, NaN, Infinity) is a value fault.
      if (typeof input === 'number' && (issue.expected === 'number' || issue.expected === 'int')) return say('INVALID_ARGUMENT', `${name} ${expectation(issue)}, got ${got(issue, input)}`);
      return say('BAD_REQUEST', `${name} ${expectation(issue)}, got ${got(issue, input)}`);
    case 'invalid_union':
      return say('BAD_REQUEST', `${name} ${issue.message.startsWith('must ') ? issue.message : 'has the wrong type'}, got ${describeValue(input)}`);
    default:
      return say('INVALID_ARGUMENT', `${name} ${expectation(issue)}, got ${got(issue, input)}`);
  }
}
