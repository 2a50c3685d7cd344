// What the calls share: the runtime host, the jobs, the open model and folder, decoding and
// preprocessing exactly as every view does, the events the shells forward. The calls themselves live
// in their own modules (app-calls.ts, layer-calls.ts, one per analysis); this holds no call.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ApiEvents, AppState, FolderInfo } from '../../common/api.ts';
import { AppError } from '../../common/errors.ts';
import { quoted, truncateText } from '../../common/text.ts';
import type { ImageEntry, LayerInfo } from '../../common/types.ts';
import { decodeImage, preprocess, ThumbnailCache, type DecodedImage, type FolderListing } from '../images/index.ts';
import { modelContentHash } from '../analysis/topk/cache.ts';
import { Jobs } from '../jobs/jobs.ts';
import { ModelSession } from '../model/model-session.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import { chooseProvider } from '../runtime/provider.ts';
import type { Provider } from '../../common/api.ts';
import type { ServiceContext } from './context.ts';
import { resolveInside } from './paths.ts';

export type Listener = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

export interface ServiceOptions {
  shell: 'electron' | 'server';
  host?: RuntimeHost;
  provider?: 'auto' | Provider;
  /** The least time between a job's progress events (default 100 ms). */
  progressIntervalMs?: number;
  /** Redis URL: top-k scans go to `convscope worker` processes through it instead of running here. */
  redis?: string;
}

/** Models kept open at once (the current one and recent compare models). */
const SESSIONS = 4;

export class AppContext implements ServiceContext {
  readonly host: RuntimeHost;
  readonly jobs: Jobs;
  readonly thumbnails = new ThumbnailCache({ maxEntries: 2000 });
  private readonly listeners = new Set<Listener>();
  private readonly sessions = new Map<string, ModelSession>();
  private model: ModelSession | null = null;
  private folder: FolderListing | null = null;
  private byPath = new Map<string, ImageEntry>();
  private readonly notices: string[] = [];

  constructor(readonly options: ServiceOptions) {
    this.host = options.host ?? nodeRuntimeHost();
    this.jobs = new Jobs((e) => this.emit('progress', e), options.progressIntervalMs);
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit<E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners) l(event, payload);
  }

  addNotice(text: string): void {
    this.notices.push(text);
  }

  get currentModel(): ModelSession | null {
    return this.model;
  }

  get currentFolder(): FolderListing | null {
    return this.folder;
  }

  folderInfo(): FolderInfo | null {
    if (!this.folder) return null;
    const f = this.folder;
    return { root: f.root, count: f.entries.length, classes: f.classes, skipped: f.skipped };
  }

  state(): AppState {
    return { shell: this.options.shell, model: this.model?.info ?? null, folder: this.folderInfo(), notices: [...this.notices] };
  }

  publishState(): void {
    this.emit('state', this.state());
  }

  /** Makes `model` the open model (and keeps it among the cached sessions). */
  setModel(model: ModelSession): void {
    this.model = model;
    this.sessions.set(model.key, model);
    this.publishState();
  }

  setFolder(listing: FolderListing): void {
    this.folder = listing;
    this.byPath = new Map(listing.entries.map((e) => [e.path, e]));
    this.publishState();
  }

  async sessionFor(file: string): Promise<ModelSession> {
    const abs = path.resolve(file);
    // Sessions are cached per model file while it is unchanged (path + mtime + size).
    const st = await stat(abs).catch(() => null);
    const cached = st ? this.sessions.get(ModelSession.cacheKey(abs, st.mtimeMs, st.size)) : undefined;
    if (cached) return cached;
    const choice = chooseProvider(this.options.provider ?? 'auto');
    const session = await this.jobs.run(`Opening ${path.basename(abs)}`, 4, (job) =>
      ModelSession.open(abs, this.host, choice, { progress: (stage, done, total) => job.progress(done, total, stage), signal: job.signal }));
    this.sessions.set(session.key, session);
    // Scans key their cache by the file's content: hashed now, in the background, so the first scan
    // of a 250 MB model does not spend its first second on it.
    modelContentHash(abs).catch(() => {});
    if (this.sessions.size > SESSIONS) {
      const [oldKey, old] = this.sessions.entries().next().value as [string, ModelSession];
      if (old !== this.model) {
        this.sessions.delete(oldKey);
        await old.close().catch(() => {});
      }
    }
    return session;
  }

  async workSession(file: string): Promise<{ session: ModelSession; owned: boolean }> {
    const abs = path.resolve(file);
    const st = await stat(abs).catch(() => null);
    const cached = st ? this.sessions.get(ModelSession.cacheKey(abs, st.mtimeMs, st.size)) : undefined;
    if (cached) return { session: cached, owned: false };
    return { session: await ModelSession.open(abs, this.host, chooseProvider(this.options.provider ?? 'auto')), owned: true };
  }

  requireFolder(): FolderListing {
    if (!this.folder) throw new AppError('NO_FOLDER', 'No image folder is open.');
    return this.folder;
  }

  requireModel(): ModelSession {
    if (!this.model) throw new AppError('NO_MODEL', 'No model is open.');
    return this.model;
  }

  requireLayer(model: ModelSession, layer: string): LayerInfo {
    const l = model.info.layers.find((x) => x.id === layer);
    if (!l) throw new AppError('NOT_FOUND', `${model.info.name} has no layer ${quoted(layer)}`, { layer });
    return l;
  }

  async imageFile(rel: string): Promise<{ file: string; entry: ImageEntry }> {
    const f = this.requireFolder();
    const entry = this.byPath.get(rel);
    if (!entry) throw new AppError('NOT_FOUND', `${truncateText(rel)} is not an image of the open folder ${f.root}`);
    return { file: await resolveInside(f.root, rel), entry };
  }

  /** A file that fails to decode joins the folder's skipped list (with the reason); the error still propagates. */
  async noteFailure<T>(rel: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (e) {
      const f = this.folder;
      const code = (e as { code?: string }).code;
      if (f && (code === 'IMAGE_DECODE_FAILED' || code === 'IMAGE_TOO_LARGE' || code === 'IMAGE_UNREADABLE') && !f.skipped.some((s) => s.path === rel)) {
        f.skipped.push({ path: rel, reason: (e as Error).message, unreadable: true });
        this.publishState();
      }
      throw e;
    }
  }

  async decodeForModel(rel: string): Promise<{ image: DecodedImage; entry: ImageEntry }> {
    const model = this.requireModel();
    const { file, entry } = await this.imageFile(rel);
    return { image: await this.noteFailure(rel, decodeImage(file, { channels: model.info.input.channels })), entry };
  }

  async inputTensor(rel: string): Promise<{ tensor: Float32Array; entry: ImageEntry }> {
    const model = this.requireModel();
    const { image, entry } = await this.decodeForModel(rel);
    return { tensor: preprocess(image, model.info.preprocessing), entry };
  }

  keepId(model: ModelSession, rel: string): string {
    return `${this.folder?.root}|${rel}|${JSON.stringify(model.info.preprocessing)}`;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.host.close();
  }
}
