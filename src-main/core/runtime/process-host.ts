// Sessions in a child process. onnxruntime is native code: on a hostile or broken model it can abort,
// segfault or allocate without bound, and in a worker thread any of those ended the whole app (a
// worker dying mid-inference aborted the process: `terminate called after throwing an instance of
// 'Napi::Error'`). In a child process they end the child: this host rejects the calls in flight with
// a message naming the model, and starts a fresh process on the next call, loading again the models
// that call needs. It also stops the child when it outgrows a memory limit or a call outlasts a timeout.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../../common/errors.ts';
import type { TensorProto } from 'onnx-buf';
import type { Projection, ProjectionRequest } from '../deconv/index.ts';
import type { CallWatch, RuntimeHost } from './host.ts';
import type {
  FeedTensor, GraphOutline, LoadResult, ModelSource, OpenResult, OutputTensor, RuntimeRequest, RuntimeProgress, RuntimeResponse,
} from './protocol.ts';
import type { ProviderChoice } from './provider.ts';

/** A started runtime process, however it was started (Node's spawn, Electron's utilityProcess). */
export interface RuntimeProcess {
  readonly pid: number | undefined;
  send(message: RuntimeRequest): void;
  /** Ends it at once (SIGKILL where there are signals). */
  kill(): void;
  /** Whether it may keep the host process alive: only while calls are in flight. */
  ref?(active: boolean): void;
}

export interface RuntimeProcessEvents {
  onMessage(message: RuntimeResponse): void;
  onExit(code: number | null, signal: string | null, error?: string): void;
  onStderr?(text: string): void;
}

export type LaunchRuntime = (events: RuntimeProcessEvents) => RuntimeProcess;

export interface ProcessHostOptions {
  launch: LaunchRuntime;
  /** Resident memory the runtime process may use before it is stopped (Linux; elsewhere the OS decides). */
  memoryLimitMb?: number;
  /** Longest a single call (open, run, project…) may take. */
  timeoutMs?: number;
  /** How often memory is checked. */
  pollMs?: number;
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
type Request = DistributiveOmit<RuntimeRequest, 'id'>;

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout | null;
  /** What the call was doing, for messages: "running zf-mini.onnx". */
  doing: string;
  model: string | null;
  onProgress?: (p: RuntimeProgress) => void;
}

type Source = { kind: 'open'; source: ModelSource; choice: ProviderChoice } | { kind: 'load'; bytes: Uint8Array; choice: ProviderChoice };

export function defaultMemoryLimitMb(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.CONVSCOPE_RUNTIME_MEMORY_MB);
  if (Number.isFinite(set) && set > 0) return set;
  const constrained = typeof process.constrainedMemory === 'function' ? process.constrainedMemory() ?? 0 : 0;
  const total = constrained > 0 && constrained < os.totalmem() ? constrained : os.totalmem();
  return Math.floor((0.8 * total) / 2 ** 20);
}

export function defaultTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const set = Number(env.CONVSCOPE_RUNTIME_TIMEOUT_S);
  return Number.isFinite(set) && set > 0 ? set * 1000 : 600_000;
}

/** Resident set size of a process in MB, or null where /proc cannot tell. */
export async function residentMb(pid: number): Promise<number | null> {
  if (process.platform !== 'linux') return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const kb = status && /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return kb ? Number(kb[1]) / 1024 : null;
}

/** The last lines of what the process wrote to stderr: an abort's reason is usually there. */
class Tail {
  private text = '';
  add(s: string): void {
    this.text = (this.text + s).slice(-4000);
  }
  lastLine(): string {
    const lines = this.text.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trim()).filter(Boolean);
    return lines.at(-1)?.slice(0, 300) ?? '';
  }
  clear(): void {
    this.text = '';
  }
}

export class ChildProcessHost implements RuntimeHost {
  private proc: RuntimeProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly loadedInProc = new Set<string>();
  private readonly sources = new Map<string, Source>();
  private readonly names = new Map<string, string>();
  private readonly stderr = new Tail();
  private watchdog: NodeJS.Timeout | null = null;
  /** Set when this host stopped the process itself, to say why instead of "crashed". */
  private stopping: { reason: 'memory' | 'timeout' | 'cancelled'; says: (doing: string) => string; cancelled?: number } | null = null;
  private closed = false;
  readonly memoryLimitMb: number;
  /** Longest a call may take; applies to calls made from then on. */
  timeoutMs: number;
  private readonly pollMs: number;

  constructor(private readonly options: ProcessHostOptions) {
    this.memoryLimitMb = options.memoryLimitMb ?? defaultMemoryLimitMb();
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs();
    this.pollMs = options.pollMs ?? 200;
  }

  /** The runtime process's id while one runs (tests kill it to check recovery). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  private ensureProcess(): RuntimeProcess {
    if (this.proc) return this.proc;
    if (this.closed) throw new AppError('RUNTIME_FAILED', 'the runtime was closed');
    this.stderr.clear();
    this.stopping = null;
    let proc: RuntimeProcess | null = null;
    proc = this.options.launch({
      onMessage: (resp) => {
        if (this.proc === proc) this.settle(resp);
      },
      onExit: (code, signal, error) => {
        if (this.proc === proc) this.lost(code, signal, error);
      },
      onStderr: (text) => {
        this.stderr.add(text);
        if (process.env.CONVSCOPE_DEBUG_RUNTIME) process.stderr.write(text);
      },
    });
    this.proc = proc;
    this.startWatchdog(proc);
    proc.ref?.(false);
    return proc;
  }

  private startWatchdog(proc: RuntimeProcess): void {
    if (this.watchdog) clearInterval(this.watchdog);
    let busy = false;
    this.watchdog = setInterval(() => {
      if (busy || this.proc !== proc || proc.pid === undefined) return;
      busy = true;
      void residentMb(proc.pid)
        .then((mb) => {
          if (mb !== null && mb > this.memoryLimitMb && this.proc === proc) {
            const use = `${Math.round(mb)} MB`;
            this.stop(proc, 'memory', (doing) =>
              `the inference process went over its memory limit of ${this.memoryLimitMb} MB (${use} in use) while ${doing} and was stopped (set CONVSCOPE_RUNTIME_MEMORY_MB to change the limit)`);
          }
        })
        .finally(() => (busy = false));
    }, this.pollMs);
    this.watchdog.unref();
  }

  private stop(proc: RuntimeProcess, reason: 'memory' | 'timeout' | 'cancelled', says: (doing: string) => string, cancelled?: number): void {
    this.stopping = { reason, says, cancelled };
    proc.kill();
  }

  private settle(resp: RuntimeResponse): void {
    const p = this.pending.get(resp.id);
    if (!p) return;
    if ('progress' in resp) {
      p.onProgress?.(resp.progress);
      return;
    }
    this.pending.delete(resp.id);
    if (p.timer) clearTimeout(p.timer);
    if (resp.ok) p.resolve(resp.value);
    else p.reject(new AppError(resp.error.code, resp.error.message, resp.error.details));
    if (this.pending.size === 0) this.proc?.ref?.(false);
  }

  /** The process is gone: every call in flight fails, naming its model; the next call starts a new process. */
  private lost(code: number | null, signal: string | null, error?: string): void {
    const stopped = this.stopping;
    this.proc = null;
    this.loadedInProc.clear();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const tail = this.stderr.lastLine();
    const says =
      stopped?.says ??
      ((doing: string) =>
        error
          ? `the inference process could not start (${error}) for ${doing}`
          : `the inference process crashed (${signal ? `signal ${signal}` : `exit code ${code}`}${tail ? `: ${tail}` : ''}) while ${doing}`);
    const pending = [...this.pending];
    this.pending.clear();
    for (const [id, p] of pending) {
      if (p.timer) clearTimeout(p.timer);
      if (stopped?.cancelled === id) {
        p.reject(new AppError('CANCELLED', `${p.doing}: cancelled`));
        continue;
      }
      const who = p.model ? `${p.model}: ` : '';
      p.reject(
        new AppError('RUNTIME_FAILED', `${who}${says(p.doing)}; it starts again on the next call`, {
          reason: stopped?.reason ?? 'crash',
          ...(p.model ? { model: p.model } : {}),
          ...(signal ? { signal } : {}),
          ...(code !== null ? { exitCode: code } : {}),
        }),
      );
    }
  }

  private request<T>(req: Request, doing: string, model: string | null, watch: CallWatch = {}): Promise<T> {
    if (watch.signal?.aborted) return Promise.reject(new AppError('CANCELLED', `${doing}: cancelled`));
    const proc = this.ensureProcess();
    const id = this.nextId++;
    const timeoutMs = this.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      // Cancelling a call stops the process (onnxruntime cannot be interrupted); the other models load again on their next call.
      const onAbort = () => {
        if (this.proc === proc && this.pending.has(id)) {
          this.stop(proc, 'cancelled', (d) => `the inference process was stopped while ${d}, because ${doing} was cancelled`, id);
        }
      };
      watch.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => watch.signal?.removeEventListener('abort', onAbort);
      const settleWith = <V,>(f: (v: V) => void) => (v: V) => {
        done();
        f(v);
      };
      const timer = setTimeout(() => {
        if (this.proc === proc && this.pending.has(id)) {
          const limit = `${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0)} s`;
          this.stop(proc, 'timeout', (d) =>
            d === doing
              ? `${doing} took longer than ${limit}, so the inference process was stopped (set CONVSCOPE_RUNTIME_TIMEOUT_S to allow more)`
              : `the inference process was stopped while ${d}, because ${doing} took longer than ${limit}`);
        }
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve: settleWith(resolve as (v: unknown) => void), reject: settleWith(reject), timer, doing, model, onProgress: watch.onProgress });
      proc.ref?.(true);
      try {
        proc.send({ ...req, id } as RuntimeRequest);
      } catch (e) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new AppError('RUNTIME_FAILED', `${model ? `${model}: ` : ''}could not send the call to the inference process: ${(e as Error).message}`));
      }
    });
  }

  private nameOf(key: string): string {
    return this.names.get(key) ?? key;
  }

  private async install(key: string, watch?: CallWatch): Promise<unknown> {
    const s = this.sources.get(key);
    if (!s) throw new AppError('RUNTIME_FAILED', 'no session is loaded for this model');
    const { providers, reason, deconv } = s.choice;
    const common = { key, providers, providerReason: reason, deconv: deconv ?? 'auto' } as const;
    const name = this.nameOf(key);
    const value =
      s.kind === 'open'
        ? await this.request({ type: 'open', ...common, source: s.source }, `opening ${name}`, name, watch)
        : await this.request({ type: 'load', ...common, bytes: s.bytes }, `loading ${name}`, name);
    this.loadedInProc.add(key);
    return value;
  }

  async open(key: string, source: ModelSource, choice: ProviderChoice, watch?: CallWatch): Promise<OpenResult> {
    this.sources.set(key, { kind: 'open', source, choice });
    this.names.set(key, path.basename(source.file));
    try {
      return (await this.install(key, watch)) as OpenResult;
    } catch (e) {
      // Not loaded: nothing to load again after a restart.
      this.sources.delete(key);
      this.names.delete(key);
      throw e;
    }
  }

  async load(key: string, bytes: Uint8Array, choice: ProviderChoice): Promise<LoadResult> {
    this.sources.set(key, { kind: 'load', bytes, choice });
    return (await this.install(key)) as LoadResult;
  }

  describe(file: string): Promise<GraphOutline> {
    const name = path.basename(file);
    return this.request({ type: 'describe', file }, `reading ${name}`, name);
  }

  /** Loads `key` again in a fresh process after a crash; the session's own open and its copies alike. */
  private async ensureLoaded(key: string): Promise<void> {
    if (this.loadedInProc.has(key) && this.proc) return;
    // Keep the result: a copy's graph is null, the session's was read when it opened.
    await this.install(key);
  }

  async run(key: string, feeds: Record<string, FeedTensor>, fetches: string[], keep?: string, projectFrom?: string[], soon?: boolean): Promise<Record<string, OutputTensor>> {
    await this.ensureLoaded(key);
    const extra = { ...(projectFrom ? { projectFrom } : {}), ...(soon ? { soon } : {}) };
    return this.request({ type: 'run', key, feeds, fetches, keep, ...extra }, `running ${this.nameOf(key)}`, this.nameOf(key));
  }

  async project(key: string, keep: string, requests: ProjectionRequest[]): Promise<Projection[]> {
    await this.ensureLoaded(key);
    return this.request({ type: 'project', key, keep, requests }, `projecting on ${this.nameOf(key)}`, this.nameOf(key));
  }

  async weights(key: string, names: string[]): Promise<Record<string, TensorProto>> {
    await this.ensureLoaded(key);
    return this.request({ type: 'weights', key, names }, `reading weights of ${this.nameOf(key)}`, this.nameOf(key));
  }

  async prepare(key: string, layer: string): Promise<{ skipped: string[] }> {
    await this.ensureLoaded(key);
    return this.request({ type: 'prepare', key, layer }, `planning projections on ${this.nameOf(key)}`, this.nameOf(key));
  }

  async release(key: string): Promise<void> {
    const doing = `releasing ${this.nameOf(key)}`;
    this.sources.delete(key);
    this.names.delete(key);
    if (!this.loadedInProc.delete(key) || !this.proc) return;
    await this.request({ type: 'release', key }, doing, null).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    const proc = this.proc;
    this.sources.clear();
    if (this.watchdog) clearInterval(this.watchdog);
    if (!proc) return;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new AppError('CANCELLED', 'the runtime was closed'));
    }
    this.pending.clear();
    this.proc = null;
    proc.kill();
  }
}
