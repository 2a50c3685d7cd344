// Rewritten copies of an open model, loaded beside it in the same runtime host. The session's own
// copy is tapped at every layer and every MaxPool's switches; onnxruntime then keeps every
// intermediate tensor, cannot fuse Conv+ReLU and runs MaxPool through its with-indices kernel —
// measured on zf-mini at about half the speed of the untouched model. Analyses that stream many
// images (sweeps, scans, occlusion) need a few tensors only, so they run a copy tapped at just those
// (or rewritten further, e.g. to reduce in-graph). The last few copies stay loaded.
// The copies are made in the runtime process from the file itself (a rewrite is data: ModelRewrite),
// so a large model is never parsed on the main thread.
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { AppError } from '../../common/errors.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import type { ModelRewrite } from '../runtime/protocol.ts';
import type { ProviderChoice } from '../runtime/provider.ts';

/** `message` prefixed with the model's file name unless it already names it. */
export function namingModel(name: string, message: string): string {
  return message.includes(name) ? message : `${name}: ${message}`;
}

export class ModelVariants {
  private readonly loaded = new Map<string, Promise<string>>();

  /**
   * @param file the model file the session was opened from
   * @param sessionKey the session's cache key (path + mtime + size): a copy is only made while the
   *   file still matches it, so a copy never disagrees with the session
   * @param seen the file's mtime and size when the session opened it
   */
  constructor(
    private readonly host: RuntimeHost,
    private readonly file: string,
    private readonly sessionKey: string,
    private readonly seen: { mtimeMs: number; size: number },
    private readonly choice: ProviderChoice,
    private readonly sessionKeyOf: (file: string, mtimeMs: number, size: number) => string,
    private readonly keep = 3,
  ) {}

  /**
   * The runtime key of the copy `rewrite` makes of the file's model, loading it if needed; null when
   * the file changed on disk since the session opened it.
   */
  async load(rewrite: ModelRewrite): Promise<string | null> {
    const st = await stat(this.file).catch(() => null);
    if (!st || this.sessionKeyOf(this.file, st.mtimeMs, st.size) !== this.sessionKey) return null;
    const key = `${this.sessionKey}|${JSON.stringify(rewrite)}`;
    let ready = this.loaded.get(key);
    if (ready) {
      // Most recently used last.
      this.loaded.delete(key);
      this.loaded.set(key, ready);
      return ready;
    }
    ready = this.make(key, rewrite);
    this.loaded.set(key, ready);
    ready.catch(() => this.loaded.delete(key));
    await this.evict();
    return ready;
  }

  private async make(key: string, rewrite: ModelRewrite): Promise<string> {
    await this.host.open(key, { file: this.file, rewrite, ...this.seen }, this.choice).catch((e: AppError) => {
      throw new AppError(e.code ?? 'MODEL_UNSUPPORTED', namingModel(path.basename(this.file), e.message), { ...e.details, file: this.file });
    });
    return key;
  }

  private async evict(): Promise<void> {
    while (this.loaded.size > this.keep) {
      const [oldest, p] = this.loaded.entries().next().value as [string, Promise<string>];
      this.loaded.delete(oldest);
      await p.then((k) => this.host.release(k)).catch(() => {});
    }
  }

  async releaseAll(): Promise<void> {
    const all = [...this.loaded.values()];
    this.loaded.clear();
    await Promise.all(all.map((p) => p.then((k) => this.host.release(k)).catch(() => {})));
  }
}
