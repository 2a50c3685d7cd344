// The models a worker has open: one runtime process, one light session per (model file, tensors),
// reused by every shard that asks for the same (a scan's shards all do). Checked against the hash
// the scan was started with, so a machine whose copy of the model differs fails its shards instead
// of mixing another model's maxima into the result.
import path from 'node:path';
import { AppError } from '../../common/errors.ts';
import { modelContentHash } from '../analysis/topk/cache.ts';
import { ModelSession } from '../model/model-session.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import type { ProviderChoice } from '../runtime/provider.ts';
import type { ModelProvider } from './kinds.ts';

/** Sessions kept open at once; a worker serving several scans of other models closes the oldest. */
const KEEP = 3;

export class WorkerModels implements ModelProvider {
  private readonly sessions = new Map<string, Promise<ModelSession>>();

  constructor(
    private readonly host: RuntimeHost,
    private readonly choice: ProviderChoice,
    /** The machine's name in messages. */
    private readonly machine: string,
  ) {}

  async open(file: string, hash: string, tensors: readonly string[]): Promise<ModelSession> {
    const actual = await modelContentHash(file).catch((e: NodeJS.ErrnoException) => {
      throw new AppError('MODEL_READ_FAILED', `${this.machine} cannot read the model ${file}: ${e.code === 'ENOENT' ? 'no such file (workers need the model at the same path)' : e.message}`, { file });
    });
    if (actual !== hash) throw new AppError('MODEL_READ_FAILED', `the model ${file} on ${this.machine} is not the one the scan was started with (content differs)`, { file });
    const sorted = [...new Set(tensors)].sort();
    const key = JSON.stringify([path.resolve(file), hash, sorted]);
    let s = this.sessions.get(key);
    if (!s) {
      s = ModelSession.open(file, this.host, this.choice, { rewrite: () => ({ kind: 'outputs', tensors: sorted }) });
      // A failed open is not kept: the next shard tries again.
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
      await this.trim();
    }
    return s;
  }

  private async trim(): Promise<void> {
    while (this.sessions.size > KEEP) {
      const [oldest, s] = this.sessions.entries().next().value!;
      this.sessions.delete(oldest);
      await s.then((m) => m.close(), () => {});
    }
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.then((m) => m.close(), () => {})));
  }
}
