// Contract entries for correspondence analysis (issue 17; DESIGN §3 "Correspondence", the paper's
// Table 1), with the defaults the CLI, the service and the view share.
import { activationLayerId } from './layers.ts';
import type { LayerInfo, ModelInputImage } from './types.ts';

/** A box in model-input pixels: top-left (y, x), height and width. */
export type PartBox = [y: number, x: number, h: number, w: number];

/** One part as the parts file writes it: a name and, per image, the box that covers the part there. */
export interface PartSpec {
  name: string;
  boxes: { image: string; box: PartBox }[];
}

/** The parts file (`parts.json`): image paths are relative to the file's folder (CLI) or the open folder (app). */
export interface PartsFile {
  parts: PartSpec[];
}

export interface CorrespondencePartResult {
  name: string;
  /** Images in the part (n). */
  images: number;
  /** Δ_L per layer id. */
  delta: Record<string, number>;
  /** This part's own random control (its boxes moved, its images): mean and population std over the draws, per layer. */
  random: Record<string, { mean: number; std: number }>;
}

export interface CorrespondenceResult {
  layers: string[];
  parts: CorrespondencePartResult[];
  /**
   * The random control: per draw, every part's boxes moved to uniformly drawn places (same sizes),
   * Δ averaged over the parts; the mean and population standard deviation over the draws.
   */
  random: { draws: number; seed: number; delta: Record<string, { mean: number; std: number }> };
  ms: number;
}

export interface CorrespondenceArg {
  /** Parts whose images are paths in the open folder. */
  parts: PartSpec[];
  /** Layer ids; default `defaultCorrespondenceLayers`. */
  layers?: string[];
  /** Random-control draws R (0: none). */
  random?: number;
  seed?: number;
  jobId?: string;
}

export interface CorrespondenceCalls {
  correspondence(arg: CorrespondenceArg): Promise<CorrespondenceResult>;
  /** The model input of one image with `box` filled with the mean (0 after preprocessing), as the model sees it. */
  correspondenceInput(arg: { path: string; box: PartBox }): Promise<ModelInputImage>;
  /**
   * Parts with their images matched to the open folder: `parts` as given (a file the user loaded), or
   * without it the shipped demo (`resources/samples/parts.json`). An image path matches the folder
   * entry it names, else the entry named by its trailing folders (`fashion-mnist/bag/1.png` → `bag/1.png`).
   */
  correspondenceParts(arg: { parts?: PartSpec[] }): Promise<PartsFile>;
}

export const DEFAULT_RANDOM_DRAWS = 10;
export const DEFAULT_CORRESPONDENCE_SEED = 0;

/**
 * The paper's layers 5 and 7: the last conv layer and the last hidden fully connected layer (the fc
 * layer before the classifier), each after its ReLU. Without a hidden fc layer (global-pooling nets)
 * the second is the last ReLU before the classifier, when that is not the first already.
 */
export function defaultCorrespondenceLayers(layers: readonly Pick<LayerInfo, 'id' | 'op' | 'kind'>[]): string[] {
  const out: string[] = [];
  const convs = layers.filter((l) => l.kind === 'conv');
  if (convs.length) out.push(activationLayerId(layers, convs[convs.length - 1].id));
  const fcs = layers.map((l, i) => [l, i] as const).filter(([l]) => l.kind === 'fc');
  let high: string | null = null;
  if (fcs.length >= 2) high = activationLayerId(layers, fcs[fcs.length - 2][0].id);
  else {
    const classifier = fcs.length ? fcs[0][1] : layers.length;
    for (let i = classifier - 1; i >= 0 && high === null; i--) if (layers[i].kind === 'relu') high = layers[i].id;
  }
  if (high !== null && !out.includes(high)) out.push(high);
  if (out.length === 0 && layers.length) out.push(layers[layers.length - 1].id);
  return out;
}
