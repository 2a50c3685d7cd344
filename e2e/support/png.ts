// Checks of downloaded PNG figures: the signature, the pixel size from the IHDR chunk, one extension.
import { readFile } from 'node:fs/promises';
import type { Download } from '@playwright/test';

export interface SavedPng {
  name: string;
  width: number;
  height: number;
}

export async function savedPng(d: Download): Promise<SavedPng> {
  const bytes = await readFile((await d.path())!);
  if (bytes.readUInt32BE(0) !== 0x89504e47) throw new Error(`${d.suggestedFilename()} is not a PNG`);
  return { name: d.suggestedFilename(), width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** `x.png`, not `x.png.png` nor `x.jpg.png`. */
export const SINGLE_PNG_EXTENSION = /^(?!.*\.(png|jpe?g|bmp|onnx)\.png$)[^/\\]+\.png$/i;
