// Which main view is shown: the model overview, the image with its predictions, the layer browser, or one of the analyses.
export type ViewName = 'model' | 'image' | 'layers' | 'filters' | 'invariance' | 'topk' | 'occlusion' | 'correspondence' | 'training' | 'probes';

export class View {
  current = $state<ViewName>('image');
}

export const view = new View();
