// The image being looked at: its preview (an object URL owned here) and the model's prediction.
import type { Prediction } from '../../src-main/common/api.ts';
import type { ImageEntry } from '../../src-main/common/types.ts';

export interface Preview {
  url: string;
  width: number;
  height: number;
}

export class SelectedImage {
  entry = $state.raw<ImageEntry | null>(null);
  preview = $state.raw<Preview | null>(null);
  prediction = $state.raw<Prediction | null>(null);
  previewError = $state<string | null>(null);
  predictionError = $state<string | null>(null);
  loadingPreview = $state(false);
  loadingPrediction = $state(false);

  setPreview(p: Preview | null): void {
    const old = this.preview;
    this.preview = p;
    if (old && old.url !== p?.url) URL.revokeObjectURL(old.url);
  }

  clear(): void {
    this.entry = null;
    this.setPreview(null);
    this.prediction = null;
    this.previewError = null;
    this.predictionError = null;
    this.loadingPreview = false;
    this.loadingPrediction = false;
  }
}
