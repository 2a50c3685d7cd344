// Fig. 2 as one PNG: the projections' 3×3 beside the patches' 3×3, drawn from the tiles' object URLs.

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('an image of the figure could not be drawn'));
    img.src = url;
  });
}

/** Grid layout of n cells in `cols` columns: top-left of cell i, with a gap. */
export function cellOrigin(i: number, cols: number, cell: number, gap: number, x0 = 0): [number, number] {
  return [x0 + (i % cols) * (cell + gap), Math.floor(i / cols) * (cell + gap)];
}

export async function composeFigure(left: (string | null)[], right: string[], cols = 3, cell = 96, gap = 4): Promise<Uint8Array> {
  const rows = Math.max(1, Math.ceil(Math.max(left.length, right.length) / cols));
  const gridW = cols * cell + (cols - 1) * gap;
  const canvas = document.createElement('canvas');
  canvas.width = gridW * 2 + 4 * gap;
  canvas.height = rows * cell + (rows - 1) * gap;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#17181b';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  const draw = async (urls: (string | null)[], x0: number) => {
    for (const [i, url] of urls.entries()) {
      if (!url) continue;
      const img = await loadImage(url);
      const [x, y] = cellOrigin(i, cols, cell, gap, x0);
      const k = cell / Math.max(img.naturalWidth, img.naturalHeight);
      ctx.drawImage(img, x, y, img.naturalWidth * k, img.naturalHeight * k);
    }
  };
  await draw(left, 0);
  await draw(right, gridW + 4 * gap);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!blob) throw new Error('the figure could not be encoded');
  return new Uint8Array(await blob.arrayBuffer());
}
