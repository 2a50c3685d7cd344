// The app's own calls: opening a model and a folder, listing and showing images, predictions,
// preprocessing, the file browser, cancelling a job. The layer browser's are in layer-calls.ts.
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AppCalls } from '../../common/api.ts';
import type { JobCalls } from '../../common/api-jobs.ts';
import { AppError } from '../../common/errors.ts';
import { truncateText } from '../../common/text.ts';
import { decodeImage, encodePng, listImageFolder, matchClassToLabel, readSidecarFile, saveModelSidecar } from '../images/index.ts';
import { topK } from '../model/scores.ts';
import type { AppContext } from './app-context.ts';
import { checkPreprocessing } from './arg-limits.ts';

/** Full images are shown at most this large (longer sides are scaled down). */
const PREVIEW_MAX = 1024;

export function appCalls(ctx: AppContext): Omit<AppCalls, 'modelInput' | 'layerActivations' | 'project' | 'projectAll'> & JobCalls {
  return {
    async getState() {
      return ctx.state();
    },

    async openModel({ path: file }) {
      const model = await ctx.sessionFor(file);
      ctx.setModel(model);
      return model.info;
    },

    async openFolder({ path: dir }) {
      const abs = path.resolve(dir);
      const listing = await ctx.jobs.run(`Listing ${path.basename(abs)}`, 1, (job) => listImageFolder(abs, { signal: job.signal }));
      if (listing.entries.length === 0) {
        const why = listing.skipped.length ? ` (${listing.skipped.length} other files skipped)` : '';
        throw new AppError('FOLDER_EMPTY', `${abs} contains no images${why}`, { file: abs, skipped: listing.skipped.slice(0, 20) });
      }
      ctx.setFolder(listing);
      return ctx.folderInfo()!;
    },

    async listImages({ offset, limit }) {
      const f = ctx.requireFolder();
      return { total: f.entries.length, entries: f.entries.slice(offset, offset + limit) };
    },

    async thumbnail({ path: rel, size }) {
      const { file } = await ctx.imageFile(rel);
      return ctx.noteFailure(rel, ctx.thumbnails.get(file, size));
    },

    async imagePreview({ path: rel }) {
      const { file } = await ctx.imageFile(rel);
      const img = await ctx.noteFailure(rel, decodeImage(file, { channels: 3 }));
      if (Math.max(img.width, img.height) > PREVIEW_MAX) {
        return { png: await ctx.thumbnails.get(file, PREVIEW_MAX), width: img.width, height: img.height };
      }
      return { png: await encodePng(img), width: img.width, height: img.height };
    },

    async predict({ path: rel, topK: k = 5 }) {
      const model = ctx.requireModel();
      const t0 = performance.now();
      const { tensor, entry } = await ctx.inputTensor(rel);
      const { probabilities } = await model.classify(tensor);
      const trueIndex = entry.className === null ? null : matchClassToLabel(entry.className, model.info.labels);
      return {
        path: rel,
        trueClass: entry.className,
        trueIndex,
        top: topK(probabilities, Math.min(k, probabilities.length), (i) => model.label(i)),
        ms: performance.now() - t0,
      };
    },

    async savePreprocessing({ preprocessing }) {
      const model = ctx.requireModel();
      const { channels, height, width, layout } = model.info.input;
      checkPreprocessing(preprocessing, model);
      const written = await saveModelSidecar(model.info.path, model.info.sidecarPath, preprocessing, { channels, inputSize: [height, width], layout });
      const reread = (await readSidecarFile(written, model.info.path, channels, [height, width], layout))!;
      const updated = model.withPreprocessing(reread.preprocessing, reread.labels, written);
      ctx.setModel(updated);
      return updated.info;
    },

    async browse({ path: dir, kind }) {
      const model = ctx.currentModel;
      const start = dir ? path.resolve(dir) : model ? path.dirname(model.info.path) : ctx.currentFolder?.root ?? os.homedir();
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
    },

    async cancel({ jobId }) {
      return { cancelled: ctx.jobs.cancel(jobId) };
    },

    async jobs() {
      return ctx.jobs.kept.list();
    },

    async jobResult({ jobId }) {
      return ctx.jobs.kept.result(jobId);
    },

    async jobParts({ jobId, from }) {
      return ctx.jobs.kept.parts(jobId, from);
    },
  };
}
