// Rewritten copies of an open model, loaded beside it in the same runtime host. The session's own
// copy is tapped at every layer and every MaxPool's switches; onnxruntime then keeps every
// intermediate tensor, cannot fuse Conv+ReLU and runs MaxPool through its with-indices kernel —
// measured on zf-mini at about half the speed of the untouched model. Analyses that stream many
// images (sweeps, scans, occlusion) need a few tensors only, so they run a copy tapped at just those
// (or rewritten further, e.g. to reduce in-graph). The last few copies stay loaded.
import path from 'node:path';
import { stat } from 'node:fs/promises';
import type { ModelProto } from 'onnx-buf';
import { AppError } from '../../common/errors.ts';
import { loadModelFile, serializeModel } from '../onnx/index.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import type { ProviderChoice } from '../runtime/provider.ts';

export class ModelVariants {
  private readonly loaded = new Map<string, Promise<string>>();

  /**
   * @param file the model file the session was opened from
   * @param sessionKey the session's cache key (path + mtime + size): a copy is only made while the
   *   file still matches it, so a copy never disagrees with the session
   */
  constructor(
    private readonly host: RuntimeHost,
    private readonly file: string,
    private readonly sessionKey: string,
    private readonly choice: ProviderChoice,
    private readonly sessionKeyOf: (file: string, mtimeMs: number, size: number) => string,
    private readonly keep = 3,
  ) {}

  /**
   * The runtime key of the copy `what` (made by `rewrite` from the file's model), loading it if
   * needed; null when the file changed on disk since the session opened it.
   */
  async load(what: string, rewrite: (m: ModelProto) => ModelProto): Promise<string | null> {
    const st = await stat(this.file).catch(() => null);
    if (!st || this.sessionKeyOf(this.file, st.mtimeMs, st.size) !== this.sessionKey) return null;
    const key = `${this.sessionKey}|${what}`;
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

  private async make(key: string, rewrite: (m: ModelProto) => ModelProto): Promise<string> {
    const { model } = await loadModelFile(this.file);
    await this.host.load(key, serializeModel(rewrite(model)), this.choice).catch((e: AppError) => {
      throw new AppError(e.code ?? 'MODEL_UNSUPPORTED', `${path.basename(this.file)}: ${e.message}`, { ...e.details, file: this.file });
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
