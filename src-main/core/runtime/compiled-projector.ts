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

export class CompiledProjector {
  private readonly cache = new Map<string, Promise<Compiled>>();

  constructor(
    private readonly engine: DeconvEngine,
    private readonly provider: Provider,
  ) {}

  private compiled(layer: string, batch: number, acts: Activations): Promise<Compiled> {
    const key = `${layer}|${batch}`;
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

  /** Projections of one layer of one image; falls back to the TypeScript engine where a step does not compile. */
  async projectLayer(acts: Activations, reqs: ProjectionRequest[]): Promise<Projection[]> {
    const out: Projection[] = [];
    for (let i = 0; i < reqs.length; i += MAX_BATCH) {
      const chunk = reqs.slice(i, i + MAX_BATCH);
      const batch = chunk.length <= 1 ? 1 : chunk.length <= 4 ? 4 : chunk.length <= 8 ? 8 : MAX_BATCH;
      const t0 = performance.now();
      const { reverse, session } = await this.compiled(chunk[0].layer, batch, acts);
      if (!session) {
        out.push(...this.engine.projectBatch(acts, chunk));
        continue;
      }
      const { feeds, starts } = compiledFeeds(reverse, acts, chunk);
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, f] of feeds) ortFeeds[name] = new ort.Tensor(f.type, f.data, f.dims);
      const result = (await session.run(ortFeeds))[reverse.output];
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
