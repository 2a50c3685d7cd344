// Where the shipped demo model, samples and the renderer build live, relative to the package root.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'resources'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}

export function defaultPaths(): { model: string; images: string; renderer: string } {
  const root = packageRoot();
  return {
    model: path.join(root, 'resources/models/zf-mini/zf-mini.onnx'),
    images: path.join(root, 'resources/samples/fashion-mnist'),
    renderer: path.join(root, 'out/renderer'),
  };
}
