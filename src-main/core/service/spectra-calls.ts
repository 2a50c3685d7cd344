// The spectra API calls: a conv layer's filter spectra for the open model or another model file
// (compare), optionally with a folder scan for activation-based deadness.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { FilterSpectraResult, SpectraCalls } from '../../common/api-spectra.ts';
import { AppError } from '../../common/errors.ts';
import { truncateText } from '../../common/text.ts';
import { resolveConvLayer, scanFiring, spectraReport, type FiringEvidence } from '../analysis/spectra/index.ts';
import { decodeImage, preprocess } from '../images/index.ts';
import type { GraphOutline } from '../runtime/protocol.ts';
import type { JobContext } from '../jobs/jobs.ts';
import type { ServiceContext } from './context.ts';
import { packageRoot } from '../model/resources.ts';
import type { ModelSession } from '../model/model-session.ts';

const DEMO_MODELS = ['zf-mini', 'alex-mini'];

export function spectraCalls(ctx: ServiceContext): SpectraCalls {
  // Parsed graphs of compare models, by file + mtime + size: spectra need the weights, not a session.
  const graphs = new Map<string, GraphOutline>();

  async function graphOf(file: string): Promise<GraphOutline> {
    const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
      throw new AppError('MODEL_READ_FAILED', `${truncateText(file)}: ${e.code === 'ENOENT' ? 'no such file' : truncateText(e.message, 300)}`, { file });
    });
    const key = `${file}|${st.mtimeMs}|${st.size}`;
    const hit = graphs.get(key);
    if (hit) return hit;
    // Parsed in the runtime process, as every model is: never on this thread.
    const g = await ctx.host.describe(file);
    if (graphs.size >= 4) graphs.delete(graphs.keys().next().value as string);
    graphs.set(key, g);
    return g;
  }

  /** The firing scan of the open folder through `session` at `layer`'s activation: its label and size, and the scan itself. */
  function firingScan(session: ModelSession, layer: string | undefined) {
    const folder = ctx.requireFolder();
    const ref = resolveConvLayer(session.graph, session.info.name, layer);
    const { channels, height, width } = session.info.input;
    const images = folder.entries.map((e) => e.path);
    const load = async (rel: string) => {
      const { file } = await ctx.imageFile(rel);
      return preprocess(await decodeImage(file, { channels }), session.info.preprocessing);
    };
    const run = async (job: JobContext): Promise<FiringEvidence> => {
      const scan = await scanFiring(images, load, await session.forwardAt([ref.activation]), {
        layer: ref.activation,
        filters: ref.filters,
        inputSize: channels * height * width,
        signal: job.signal,
        onProgress: (done) => job.progress(done),
      });
      if (scan.images === 0) throw new AppError('FOLDER_EMPTY', `none of the ${images.length} images of ${folder.root} could be read for ${session.info.name}`, { file: folder.root });
      return { ...scan, folder: folder.root, layer: ref.activation };
    };
    return { label: `Firing scan of ${session.info.name} ${ref.activation} over ${images.length} images`, total: images.length, run };
  }

  return {
    async filterSpectra({ model, layer, firing, jobId }): Promise<FilterSpectraResult> {
      const t0 = performance.now();
      const current = model === undefined ? ctx.requireModel() : null;
      const file = current ? current.info.path : path.resolve(model!);
      const name = path.basename(file);
      // A scan needs a session; the weights alone need only the parsed graph.
      const session = current ?? (firing ? await ctx.sessionFor(file) : null);
      const graph = session ? session.graph : await graphOf(file);
      const load = session ? (names: string[]) => session.loadWeights(names) : undefined;
      const report = async (evidence?: FiringEvidence) => ({ ...(await spectraReport(graph, { path: file, name }, layer, evidence, load)), ms: performance.now() - t0 });
      if (!firing || !session) return report();
      // A scan of a big folder takes minutes: kept by id, so a page reloaded mid-scan re-attaches to it (jobs, jobResult).
      const scan = firingScan(session, layer);
      const args = { ...(model !== undefined ? { model } : {}), ...(layer !== undefined ? { layer } : {}) };
      return ctx.jobs.runKept('spectra', args, scan.label, scan.total, async (job) => report(await scan.run(job)), jobId, 'images');
    },

    async spectraDemoModels() {
      const root = path.join(packageRoot(), 'resources/models');
      const found = await Promise.all(
        DEMO_MODELS.map(async (m) => {
          const file = path.join(root, m, `${m}.onnx`);
          return (await stat(file).catch(() => null)) ? { name: m, path: file } : null;
        }),
      );
      return { models: found.filter((m) => m !== null) };
    },
  };
}
