// The GPU path of projections: the reverse path of a layer compiled to an ONNX graph
// (core/deconv/compiled) and run by onnxruntime under the model's own execution provider. With CUDA
// the heavy transposed convolutions run on the GPU; on CPU it is the same code with another provider,
// which is how the tests hold it to the TypeScript engine.
import * as ort from 'onnxruntime-node';
import type { Provider } from '../../common/api.ts';
import {
  compileReversePath, compiledFeeds, type Activations, type CompiledReversePath, type DeconvEngine, type Projection,
  type ProjectionRequest,
} from '../deconv/index.ts';
import { sessionOptions } from './ort-options.ts';

interface Compiled {
  reverse: CompiledReversePath;
  session: ort.InferenceSession | null;
}

/** Largest batch compiled at once; bigger requests are split, so few graph shapes are cached. */
const MAX_BATCH = 16;

/**
 * Layers whose compiled graphs are kept. Each holds the weights below its layer and an arena of its
 * intermediates (tens of MB on VGG-sized layers), and the layer browser builds one per layer chosen
 * (session-worker.ts prefetchSoon): the least recently used beyond these are released.
 */
const KEEP_LAYERS = 3;

export class CompiledProjector {
  private readonly cache = new Map<string, Promise<Compiled>>();
  /** Runs in flight per cache key: a graph is released only when none is using it. */
  private readonly inUse = new Map<string, number>();
  /** Layers by last use, oldest first. */
  private readonly recent: string[] = [];

  constructor(
    private readonly engine: DeconvEngine,
    private readonly provider: Provider,
  ) {}

  private touch(layer: string): void {
    const i = this.recent.indexOf(layer);
    if (i >= 0) this.recent.splice(i, 1);
    this.recent.push(layer);
    while (this.recent.length > KEEP_LAYERS) {
      const old = this.recent.shift()!;
      for (const key of [...this.cache.keys()]) {
        if (!key.startsWith(`${old}|`) || (this.inUse.get(key) ?? 0) > 0) continue;
        const gone = this.cache.get(key)!;
        this.cache.delete(key);
        void gone.then((c) => c.session?.release()).catch(() => {});
      }
    }
  }

  private compiled(layer: string, batch: number, acts: Activations): Promise<Compiled> {
    const key = `${layer}|${batch}`;
    this.touch(layer);
    let c = this.cache.get(key);
    if (!c) {
      c = (async () => {
        const reverse = compileReversePath(this.engine.plan(layer), this.engine.graph, { batch, shapes: acts, sharedSwitches: true, switchType: 'int32' });
        if (reverse.unsupported) return { reverse, session: null };
        const session = await ort.InferenceSession.create(reverse.bytes, { ...sessionOptions('helper'), executionProviders: this.provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'] });
        return { reverse, session };
      })();
      this.cache.set(key, c);
    }
    return c;
  }

  /** Builds the single-projection graph of `layer` ahead of its first click. */
  async warm(layer: string, acts: Activations): Promise<void> {
    await this.compiled(layer, 1, acts);
  }

  /** Projections of one layer; falls back to the TypeScript engine where a step does not compile. */
  async projectLayer(acts: Activations, reqs: ProjectionRequest[]): Promise<Projection[]> {
    // A compiled run shares one image's switches (compiled/feeds.ts): top-k tiles, from several
    // images of one batch, run image by image, answered in the order asked.
    const rows = [...new Set(reqs.map((r) => r.batchIndex ?? 0))];
    if (rows.length > 1) {
      const byRow: Projection[] = new Array(reqs.length);
      for (const row of rows) {
        const idx = reqs.flatMap((r, i) => ((r.batchIndex ?? 0) === row ? [i] : []));
        const done = await this.projectLayer(acts, idx.map((i) => reqs[i]));
        idx.forEach((i, k) => (byRow[i] = done[k]));
      }
      return byRow;
    }
    const out: Projection[] = [];
    for (let i = 0; i < reqs.length; i += MAX_BATCH) {
      const chunk = reqs.slice(i, i + MAX_BATCH);
      const batch = chunk.length <= 1 ? 1 : chunk.length <= 4 ? 4 : chunk.length <= 8 ? 8 : MAX_BATCH;
      const t0 = performance.now();
      const key = `${chunk[0].layer}|${batch}`;
      this.inUse.set(key, (this.inUse.get(key) ?? 0) + 1);
      let reverse: CompiledReversePath;
      let result: ort.Tensor;
      let starts: ReturnType<typeof compiledFeeds>['starts'];
      try {
        const c = await this.compiled(chunk[0].layer, batch, acts);
        reverse = c.reverse;
        if (!c.session) {
          out.push(...this.engine.projectBatch(acts, chunk));
          continue;
        }
        const prepared = compiledFeeds(reverse, acts, chunk);
        starts = prepared.starts;
        const feeds = prepared.feeds;
        const ortFeeds: Record<string, ort.Tensor> = {};
        for (const [name, f] of feeds) ortFeeds[name] = new ort.Tensor(f.type, f.data, f.dims);
        result = (await c.session.run(ortFeeds))[reverse.output];
      } finally {
        this.inUse.set(key, (this.inUse.get(key) ?? 1) - 1);
      }
      const data = result.data as Float32Array;
      const [, C, H, W] = reverse.outputDims;
      const size = C * H * W;
      const ms = (performance.now() - t0) / chunk.length;
      const skipped = [...this.engine.plan(chunk[0].layer).skipped];
      chunk.forEach((req, k) => {
        out.push({
          layer: req.layer,
          channel: req.channel,
          mode: req.mode,
          batchIndex: req.batchIndex ?? 0,
          position: starts[k].position,
          value: starts[k].value,
          dims: [C, H, W],
          data: data.slice(k * size, (k + 1) * size),
          skipped,
          ms,
          backend: 'compiled',
        });
      });
    }
    return out;
  }

  async release(): Promise<void> {
    for (const c of this.cache.values()) await (await c.catch(() => null))?.session?.release();
    this.cache.clear();
  }
}
