// PNG bytes from the core → an object URL for <img>. Whoever creates one revokes it.

export function pngUrl(png: Uint8Array): string {
  return URL.createObjectURL(new Blob([png as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
}

export function revokeUrl(url: string): void {
  URL.revokeObjectURL(url);
}
