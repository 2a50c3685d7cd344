// Checks of downloaded figures: the PNG signature, the pixel size from the IHDR chunk, the title and
// caption in its text chunks, one extension; an SVG's title, caption and embedded pictures.
import { readFile } from 'node:fs/promises';
import type { Download } from '@playwright/test';
import { readTextChunks } from '../../src-main/common/png-text.ts';

export interface SavedPng {
  name: string;
  width: number;
  height: number;
  /** tEXt chunks: Title, Description (the caption lines). */
  text: Record<string, string>;
}

export async function savedPng(d: Download): Promise<SavedPng> {
  const bytes = await readFile((await d.path())!);
  if (bytes.readUInt32BE(0) !== 0x89504e47) throw new Error(`${d.suggestedFilename()} is not a PNG`);
  return { name: d.suggestedFilename(), width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), text: readTextChunks(new Uint8Array(bytes)) };
}

export interface SavedSvg {
  name: string;
  title: string;
  desc: string;
  pictures: number;
  texts: number;
}

export async function savedSvg(d: Download): Promise<SavedSvg> {
  const text = await readFile((await d.path())!, 'utf8');
  if (!/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/.test(text) || !text.trimEnd().endsWith('</svg>')) throw new Error(`${d.suggestedFilename()} is not an SVG document`);
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  return {
    name: d.suggestedFilename(),
    title: unescape(/<title>([^<]*)<\/title>/.exec(text)?.[1] ?? ''),
    desc: unescape(/<desc>([^<]*)<\/desc>/.exec(text)?.[1] ?? ''),
    pictures: (text.match(/<image [^>]*href="data:image\/png;base64,[A-Za-z0-9+/=]+"/g) ?? []).length,
    texts: (text.match(/<text /g) ?? []).length,
  };
}

/** `x.png`, not `x.png.png` nor `x.jpg.png`. */
export const SINGLE_PNG_EXTENSION = /^(?!.*\.(png|jpe?g|bmp|onnx)\.png$)[^/\\]+\.png$/i;

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The chunk types of a PNG, in file order; throws on a bad signature or a chunk running past the end. */
export function pngChunkTypes(bytes: Buffer): string[] {
  if (bytes.length < 8 || !bytes.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  const types: string[] = [];
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (at + 12 + length > bytes.length) throw new Error(`PNG chunk ${type} runs past the end of the file`);
    types.push(type);
    at += 12 + length;
    if (type === 'IEND') break;
  }
  return types;
}
