// Which main view is shown: the image with its predictions, or the layer browser.
export type ViewName = 'image' | 'layers';

export class View {
  current = $state<ViewName>('image');
}

export const view = new View();
