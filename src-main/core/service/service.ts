// The core's implementation of the API contract. Both shells (Electron IPC, HTTP/WebSocket) and the
// tests talk to this one object through the dispatcher.
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {
  ApiCalls, ApiEvents, AppState, BrowseResult, ClassScore, FolderInfo, ImagePreview, LayerActivations, ModelInfo, ModelInputImage, Prediction,
  ProjectionResult, ProjectionTarget,
} from '../../common/api.ts';
import { layerMapsOf, requestProblem, toDisplay } from '../deconv/index.ts';
import { AppError } from '../../common/errors.ts';
import { quoted, truncateText } from '../../common/text.ts';
import type { ImageEntry, LayerInfo, Preprocessing } from '../../common/types.ts';
import {
  decodeImage, encodePng, listImageFolder, loadOrCreateSidecar, matchClassToLabel, preprocess, saveSidecar, ThumbnailCache,
  type DecodedImage, type FolderListing,
} from '../images/index.ts';
import { Jobs } from '../jobs/jobs.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import { nodeRuntimeHost } from '../runtime/launch-node.ts';
import { chooseProvider } from '../runtime/provider.ts';
import type { Provider } from '../../common/api.ts';
import type { InvarianceCalls } from '../../common/api-invariance.ts';
import type { OcclusionCalls } from '../../common/api-occlusion.ts';
import type { SpectraCalls } from '../../common/api-spectra.ts';
import type { TopkCalls } from '../../common/api-topk.ts';
import type { ServiceContext } from './context.ts';
import { invarianceCalls } from './invariance-calls.ts';
import { occlusionCalls } from './occlusion-calls.ts';
import { ModelSession } from '../model/model-session.ts';
import { spectraCalls } from './spectra-calls.ts';
import { topkCalls } from './topk-calls.ts';
import { checkPreprocessing } from './arg-limits.ts';
import { invalidArgument } from '../../common/arg-checks.ts';
import { resolveInside } from './paths.ts';
import { layerMaps, receptiveFieldBox, tensorToPixels } from '../model/pixels.ts';

type Listener = <E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]) => void;

export interface ServiceOptions {
  shell: 'electron' | 'server';
  host?: RuntimeHost;
  provider?: 'auto' | Provider;
}

const PREVIEW_MAX = 1024;

export function topK(probabilities: Float32Array, k: number, label: (i: number) => string): ClassScore[] {
  const order = Array.from(probabilities.keys()).sort((a, b) => probabilities[b] - probabilities[a]);
  return order.slice(0, k).map((index) => ({ index, label: label(index), probability: probabilities[index] }));
}

// The analyses' calls are mixed in from their own modules (see the constructor).
export interface ConvscopeService extends SpectraCalls, InvarianceCalls, TopkCalls, OcclusionCalls {}

export class ConvscopeService implements ApiCalls, ServiceContext {
  readonly host: RuntimeHost;
  private readonly listeners = new Set<Listener>();
  private readonly thumbnails = new ThumbnailCache({ maxEntries: 2000 });
  private readonly sessions = new Map<string, ModelSession>();
  readonly jobs: Jobs;
  private model: ModelSession | null = null;
  private folder: FolderListing | null = null;
  private byPath = new Map<string, ImageEntry>();
  private notices: string[] = [];

  constructor(private readonly options: ServiceOptions) {
    this.host = options.host ?? nodeRuntimeHost();
    this.jobs = new Jobs((e) => this.emit('progress', e));
    Object.assign(this, spectraCalls(this), invarianceCalls(this), topkCalls(this), occlusionCalls(this));
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<E extends keyof ApiEvents>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners) l(event, payload);
  }

  addNotice(text: string): void {
    this.notices.push(text);
  }

  get currentModel(): ModelSession | null {
    return this.model;
  }

  private folderInfo(): FolderInfo | null {
    if (!this.folder) return null;
    const f = this.folder;
    return { root: f.root, count: f.entries.length, classes: f.classes, skipped: f.skipped };
  }

  async getState(): Promise<AppState> {
    return { shell: this.options.shell, model: this.model?.info ?? null, folder: this.folderInfo(), notices: [...this.notices] };
  }

  private async publishState(): Promise<void> {
    this.emit('state', await this.getState());
  }

  async openModel({ path: file }: { path: string }): Promise<ModelInfo> {
    this.model = await this.sessionFor(file);
    await this.publishState();
    return this.model.info;
  }

  async sessionFor(file: string): Promise<ModelSession> {
    const abs = path.resolve(file);
    // Sessions are cached per model file while it is unchanged (path + mtime + size).
    const st = await stat(abs).catch(() => null);
    const cached = st ? this.sessions.get(ModelSession.cacheKey(abs, st.mtimeMs, st.size)) : undefined;
    if (cached) return cached;
    const choice = chooseProvider(this.options.provider ?? 'auto');
    const session = await this.jobs.run(`Opening ${path.basename(abs)}`, 1, () => ModelSession.open(abs, this.host, choice));
    this.sessions.set(session.key, session);
    if (this.sessions.size > 4) {
      const [oldKey, old] = this.sessions.entries().next().value as [string, ModelSession];
      if (old !== this.model) {
        this.sessions.delete(oldKey);
        await old.close().catch(() => {});
      }
    }
    return session;
  }

  async openFolder({ path: dir }: { path: string }): Promise<FolderInfo> {
    const abs = path.resolve(dir);
    const listing = await this.jobs.run(`Listing ${path.basename(abs)}`, 1, (ctx) => listImageFolder(abs, { signal: ctx.signal }));
    if (listing.entries.length === 0) {
      const why = listing.skipped.length ? ` (${listing.skipped.length} other files skipped)` : '';
      throw new AppError('FOLDER_EMPTY', `${abs} contains no images${why}`, { file: abs, skipped: listing.skipped.slice(0, 20) });
    }
    this.folder = listing;
    this.byPath = new Map(listing.entries.map((e) => [e.path, e]));
    await this.publishState();
    return this.folderInfo()!;
  }

  async listImages({ offset, limit }: { offset: number; limit: number }): Promise<{ total: number; entries: ImageEntry[] }> {
    const f = this.requireFolder();
    return { total: f.entries.length, entries: f.entries.slice(offset, offset + limit) };
  }

  requireFolder(): FolderListing {
    if (!this.folder) throw new AppError('NO_FOLDER', 'No image folder is open.');
    return this.folder;
  }

  requireModel(): ModelSession {
    if (!this.model) throw new AppError('NO_MODEL', 'No model is open.');
    return this.model;
  }

  async imageFile(rel: string): Promise<{ file: string; entry: ImageEntry }> {
    const f = this.requireFolder();
    const entry = this.byPath.get(rel);
    if (!entry) throw new AppError('NOT_FOUND', `${truncateText(rel)} is not an image of the open folder ${f.root}`);
    return { file: await resolveInside(f.root, rel), entry };
  }

  /** A file that fails to decode joins the folder's skipped list (with the reason); the error still propagates. */
  private async noteFailure<T>(rel: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (e) {
      const f = this.folder;
      const code = (e as { code?: string }).code;
      if (f && (code === 'IMAGE_DECODE_FAILED' || code === 'IMAGE_TOO_LARGE' || code === 'IMAGE_UNREADABLE') && !f.skipped.some((s) => s.path === rel)) {
        f.skipped.push({ path: rel, reason: (e as Error).message });
        await this.publishState();
      }
      throw e;
    }
  }

  async thumbnail({ path: rel, size }: { path: string; size: number }): Promise<Uint8Array> {
    const { file } = await this.imageFile(rel);
    return this.noteFailure(rel, this.thumbnails.get(file, size));
  }

  async imagePreview({ path: rel }: { path: string }): Promise<ImagePreview> {
    const { file } = await this.imageFile(rel);
    const img = await this.noteFailure(rel, decodeImage(file, { channels: 3 }));
    if (Math.max(img.width, img.height) > PREVIEW_MAX) {
      return { png: await this.thumbnails.get(file, PREVIEW_MAX), width: img.width, height: img.height };
    }
    return { png: await encodePng(img), width: img.width, height: img.height };
  }

  async decodeForModel(rel: string): Promise<{ image: DecodedImage; entry: ImageEntry }> {
    const model = this.requireModel();
    const { file, entry } = await this.imageFile(rel);
    return { image: await this.noteFailure(rel, decodeImage(file, { channels: model.info.input.channels })), entry };
  }

  /** Decodes an image of the open folder and preprocesses it for the open model (C×H×W). */
  async inputTensor(rel: string): Promise<{ tensor: Float32Array; entry: ImageEntry }> {
    const model = this.requireModel();
    const { image, entry } = await this.decodeForModel(rel);
    return { tensor: preprocess(image, model.info.preprocessing), entry };
  }

  async predict({ path: rel, topK: k = 5 }: { path: string; topK?: number }): Promise<Prediction> {
    const model = this.requireModel();
    const t0 = performance.now();
    const { tensor, entry } = await this.inputTensor(rel);
    const { probabilities } = await model.classify(tensor);
    const trueIndex = entry.className === null ? null : matchClassToLabel(entry.className, model.info.labels);
    return {
      path: rel,
      trueClass: entry.className,
      trueIndex,
      top: topK(probabilities, Math.min(k, probabilities.length), (i) => model.label(i)),
      ms: performance.now() - t0,
    };
  }

  requireLayer(model: ModelSession, layer: string): LayerInfo {
    const l = model.info.layers.find((x) => x.id === layer);
    if (!l) throw new AppError('NOT_FOUND', `${model.info.name} has no layer ${quoted(layer)}`, { layer });
    return l;
  }

  /** Runtime-side cache id of an image's forward pass: the image and the preprocessing it went through. */
  keepId(model: ModelSession, rel: string): string {
    return `${this.folder?.root}|${rel}|${JSON.stringify(model.info.preprocessing)}`;
  }

  async modelInput({ path: rel }: { path: string }): Promise<ModelInputImage> {
    const model = this.requireModel();
    const { tensor } = await this.inputTensor(rel);
    const { channels, height, width } = model.info.input;
    const px = tensorToPixels(tensor, [channels, height, width], model.info.preprocessing);
    return { png: await encodePng({ width, height, channels: px.channels, data: px.data }), width, height };
  }

  async layerActivations({ path: rel, layer }: { path: string; layer: string }): Promise<LayerActivations> {
    const model = this.requireModel();
    const info = this.requireLayer(model, layer);
    // Layers the runtime cannot return (bool, float16, …) are listed but not tapped, so never measured.
    if (info.shape.length === 0) throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(layer)} (${info.op}) holds values Convscope cannot read (not float or int64)`, { layer });
    const t0 = performance.now();
    const { tensor } = await this.inputTensor(rel);
    const out = await model.keep(this.keepId(model, rel), tensor, [layer]);
    return layerMaps(layer, out[layer], performance.now() - t0);
  }

  async project(arg: { path: string; layer: string; mode: 'single' | 'map'; targets: ProjectionTarget[] }): Promise<ProjectionResult[]> {
    const model = this.requireModel();
    const layer = this.requireLayer(model, arg.layer);
    if (layer.shape.length === 0) throw new AppError('MODEL_UNSUPPORTED', `layer ${quoted(arg.layer)} (${layer.op}) holds values Convscope cannot read (not float or int64)`, { layer: arg.layer });
    // The deconv engine's own check of a request (deconv/request.ts), answered in the API's words.
    const maps = layerMapsOf(arg.layer, layer.shape);
    arg.targets.forEach((t, i) => {
      const p = requestProblem({ channel: t.channel, mode: arg.mode, position: t.position }, maps, arg.layer);
      if (p) throw invalidArgument('project', `targets[${i}].${p.argument}`, p.must, p.value);
    });
    const { height: H, width: W } = model.info.input;
    const requests = arg.targets.map((t) => ({ layer: arg.layer, channel: t.channel, mode: arg.mode, position: t.position }));
    const projections = await model.project(this.keepId(model, arg.path), async () => (await this.inputTensor(arg.path)).tensor, requests);
    return Promise.all(
      projections.map(async (p) => ({
        layer: p.layer,
        channel: p.channel,
        mode: p.mode,
        position: p.position,
        value: p.value,
        dims: p.dims,
        data: p.data,
        png: await encodePng({ width: p.dims[2], height: p.dims[1], channels: p.dims[0] === 1 ? 1 : 3, data: toDisplay(p.data, p.dims) }),
        box: p.position && layer.receptiveField ? receptiveFieldBox(layer.receptiveField, p.position, H, W) : null,
        skipped: p.skipped,
        ms: p.ms,
      })),
    );
  }

  async savePreprocessing({ preprocessing }: { preprocessing: Preprocessing }): Promise<ModelInfo> {
    const model = this.requireModel();
    const { channels, height, width } = model.info.input;
    checkPreprocessing(preprocessing, model);
    await saveSidecar(model.info.sidecarPath, preprocessing, { channels, inputSize: [height, width] });
    const reread = await loadOrCreateSidecar(model.info.path, channels, [height, width]);
    this.model = model.withPreprocessing(reread.preprocessing, reread.labels);
    this.sessions.set(this.model.key, this.model);
    await this.publishState();
    return this.model.info;
  }

  async browse({ path: dir, kind }: { path?: string; kind: 'model' | 'folder' }): Promise<BrowseResult> {
    const start = dir ? path.resolve(dir) : this.model ? path.dirname(this.model.info.path) : this.folder?.root ?? os.homedir();
    let dirents;
    try {
      dirents = await readdir(start, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AppError(code === 'ENOENT' ? 'NOT_FOUND' : 'FOLDER_UNREADABLE', `${truncateText(start)}: ${code === 'ENOENT' ? 'no such folder' : truncateText((e as Error).message, 300)}`, { file: start });
    }
    const entries = dirents
      .filter((d) => !d.name.startsWith('.'))
      .filter((d) => d.isDirectory() || (kind === 'model' && d.isFile() && d.name.toLowerCase().endsWith('.onnx')))
      .map((d) => ({ name: d.name, kind: d.isDirectory() ? ('dir' as const) : ('file' as const) }))
      .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, undefined, { numeric: true }) : a.kind === 'dir' ? -1 : 1));
    const parent = path.dirname(start);
    return { path: start, parent: parent === start ? null : parent, entries };
  }

  async cancel({ jobId }: { jobId: string }): Promise<{ cancelled: boolean }> {
    return { cancelled: this.jobs.cancel(jobId) };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.host.close();
  }
}
