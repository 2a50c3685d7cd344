// The correspondence API calls (issue 17): Table 1 over parts of the open folder as a kept job, the
// masked model input of one box (the view's hover), and parts files matched to the open folder.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelInputImage } from '../../common/api.ts';
import { DEFAULT_RANDOM_DRAWS, type CorrespondenceArg, type CorrespondenceCalls, type CorrespondenceResult, type PartSpec, type PartsFile } from '../../common/api-correspondence.ts';
import { checkPartBoxes, partLabel, readPartsFile } from '../../common/correspondence-parts.ts';
import { AppError } from '../../common/errors.ts';
import { quoted } from '../../common/text.ts';
import { correspondenceTensors, correspondenceTotal, runCorrespondence } from '../analysis/correspondence/run.ts';
import { maskInto } from '../analysis/correspondence/delta.ts';
import { encodePng } from '../images/index.ts';
import { packageRoot } from '../model/resources.ts';
import { tensorToPixels } from '../model/pixels.ts';
import type { ServiceContext } from './context.ts';

/** The demo parts shipped with the samples (image paths relative to that file's folder). */
export function shippedPartsFile(): string {
  return path.join(packageRoot(), 'resources/samples/parts.json');
}

/**
 * The open folder's entry an image path names: itself, a path inside the folder written from
 * elsewhere (absolute, or relative to a parts file beside the folder), else the entry named by its
 * trailing folders (`fashion-mnist/bag/1.png` → `bag/1.png`). Null when none matches.
 */
export function matchFolderEntry(image: string, root: string, has: (rel: string) => boolean): string | null {
  const slashed = image.replaceAll('\\', '/');
  if (has(slashed)) return slashed;
  if (path.isAbsolute(image)) {
    const rel = path.relative(root, image).split(path.sep).join('/');
    if (!rel.startsWith('../') && has(rel)) return rel;
  }
  const segments = slashed.split('/').filter((s) => s && s !== '.');
  for (let i = 1; i < segments.length; i++) {
    const rel = segments.slice(i).join('/');
    if (has(rel)) return rel;
  }
  return null;
}

export function correspondenceCalls(ctx: ServiceContext): CorrespondenceCalls {
  return {
    async correspondence(arg: CorrespondenceArg): Promise<CorrespondenceResult> {
      const model = ctx.requireModel();
      const { height, width } = model.info.input;
      // Before the job: a part with one image, a box outside the input, an unknown layer or image come back at once, named.
      checkPartBoxes(arg.parts, height, width, 'correspondence: ');
      if (arg.layers) correspondenceTensors(model.info.layers, arg.layers, model.info.name);
      for (const [i, p] of arg.parts.entries()) {
        for (const b of p.boxes) {
          await ctx.imageFile(b.image).catch((e: AppError) => {
            throw new AppError(e.code ?? 'NOT_FOUND', `correspondence: ${partLabel(p, i)}, image ${quoted(b.image)}: ${e.message}`, { part: p.name, image: b.image });
          });
        }
      }
      const { jobId, ...args } = arg;
      const draws = arg.random;
      const total = correspondenceTotal(arg.parts, draws ?? DEFAULT_RANDOM_DRAWS);
      const label = `Correspondence (${arg.parts.length} part${arg.parts.length === 1 ? '' : 's'})`;
      // Kept by id: a page reloaded mid-run re-attaches to it (jobs, jobResult).
      return ctx.jobs.runKept('correspondence', args, label, total, (job) =>
        runCorrespondence(model, arg.parts, async (image) => (await ctx.inputTensor(image)).tensor, {
          layers: arg.layers, draws, seed: arg.seed, signal: job.signal, onProgress: (d, t) => job.progress(d, t),
        }), jobId, 'inputs');
    },

    async correspondenceInput({ path: rel, box }): Promise<ModelInputImage> {
      const model = ctx.requireModel();
      const { channels, height, width } = model.info.input;
      checkPartBoxes([{ name: 'box', boxes: [{ image: rel, box }, { image: rel, box }] }], height, width, 'correspondenceInput: ');
      const { tensor } = await ctx.inputTensor(rel);
      const dims: [number, number, number] = [channels, height, width];
      const masked = new Float32Array(tensor.length);
      maskInto(tensor, dims, box, masked);
      const px = tensorToPixels(masked, dims, model.info.preprocessing);
      return { png: await encodePng({ width, height, channels: px.channels, data: px.data }), width, height };
    },

    async correspondenceParts(arg: { parts?: PartSpec[] }): Promise<PartsFile> {
      const folder = ctx.requireFolder();
      let parts = arg.parts;
      let source = 'the parts';
      let base = folder.root;
      if (!parts) {
        const file = shippedPartsFile();
        source = file;
        base = path.dirname(file);
        const text = await readFile(file, 'utf8').catch((e: Error) => {
          throw new AppError('NOT_FOUND', `the demo parts ${file} cannot be read: ${e.message}`);
        });
        parts = readPartsFile(JSON.parse(text), file).parts;
      }
      const known = new Set(folder.entries.map((e) => e.path));
      const has = (rel: string) => known.has(rel);
      return {
        parts: parts.map((p, i) => ({
          name: p.name,
          boxes: p.boxes.map((b) => {
            const abs = path.isAbsolute(b.image) ? b.image : path.resolve(base, b.image);
            const rel = matchFolderEntry(b.image, folder.root, has) ?? matchFolderEntry(abs, folder.root, has);
            if (rel === null) {
              throw new AppError('NOT_FOUND', `${source}: ${partLabel(p, i)}, image ${quoted(b.image)} is not an image of the open folder ${folder.root}`, { part: p.name, image: b.image });
            }
            return { image: rel, box: b.box };
          }),
        })),
      };
    },
  };
}
