// Checks of downloaded PNG figures: the signature, the pixel size from the IHDR chunk, one extension,
// and the text chunks (tEXt, iTXt) a figure carries its title and caption in.
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

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngChunk {
  type: string;
  data: Buffer;
}

/** The chunks of a PNG, in file order; throws on a bad signature or a chunk running past the end. */
export function pngChunks(bytes: Buffer): PngChunk[] {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  const chunks: PngChunk[] = [];
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > bytes.length) throw new Error(`PNG chunk ${type} runs past the end of the file`);
    chunks.push({ type, data: bytes.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  return chunks;
}

/** Keyword → text of the PNG's tEXt (Latin-1) and uncompressed iTXt (UTF-8) chunks. */
export function pngText(bytes: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { type, data } of pngChunks(bytes)) {
    const nul = data.indexOf(0);
    if (nul < 0) continue;
    const key = data.toString('latin1', 0, nul);
    if (type === 'tEXt') out[key] = data.toString('latin1', nul + 1);
    else if (type === 'iTXt' && data[nul + 1] === 0) {
      // keyword NUL compression-flag compression-method language NUL translated-keyword NUL text
      const lang = data.indexOf(0, nul + 3);
      const translated = lang < 0 ? -1 : data.indexOf(0, lang + 1);
      if (translated >= 0) out[key] = data.toString('utf8', translated + 1);
    }
  }
  return out;
}
