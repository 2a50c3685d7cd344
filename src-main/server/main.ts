// `npm run serve`: headless mode. Opens the given (or demo) model and folder, then prints the URL.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createService } from '../core/service/service.ts';
import { defaultPaths } from '../core/model/resources.ts';
import { startServer } from './server.ts';
import { checkRedis } from '../core/distributed/queue.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    model: { type: 'string' },
    images: { type: 'string' },
    provider: { type: 'string', default: process.env.CONVSCOPE_PROVIDER ?? 'auto' },
    renderer: { type: 'string' },
    redis: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  allowPositionals: false,
});

if (values.help) {
  console.log(`convscope server mode: the app over HTTP/WebSocket on 127.0.0.1

  npm run serve -- [--port N] [--model PATH] [--images DIR] [--provider auto|cpu|cuda] [--redis URL]

Without --model/--images the shipped demo model and sample images are opened. With --redis, the
Top-9 view's scans go to \`convscope worker\` processes taking shards from Redis at URL (README,
"Scanning at scale"); the view shows how many are connected.`);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`convscope: --port must be a number from 0 to 65535, got "${values.port}"`);
  process.exit(2);
}
const provider = values.provider as 'auto' | 'cpu' | 'cuda';
if (!['auto', 'cpu', 'cuda'].includes(provider)) {
  console.error(`convscope: --provider must be auto, cpu or cuda, got "${values.provider}"`);
  process.exit(2);
}

if (values.redis) {
  // Told at once, in one line, rather than by the first scan.
  await checkRedis(values.redis).catch((e: Error & { code?: string }) => {
    console.error(`convscope: ${e.message}`);
    process.exit(e.code === 'INVALID_ARGUMENT' ? 2 : 1);
  });
}

const defaults = defaultPaths();
const service = createService({ shell: 'server', provider, redis: values.redis });
const modelPath = values.model ?? defaults.model;
const imagesPath = values.images ?? defaults.images;
// A model or folder that fails to open is reported in the app, which stays usable.
await service.openModel({ path: modelPath }).catch((e: Error) => {
  const text = `Could not open model ${modelPath}: ${e.message}`;
  console.error(`convscope: ${text}`);
  service.addNotice(text);
});
await service.openFolder({ path: imagesPath }).catch((e: Error) => {
  const text = `Could not open folder ${imagesPath}: ${e.message}`;
  console.error(`convscope: ${text}`);
  service.addNotice(text);
});

const server = await startServer({
  service,
  rendererDir: values.renderer ? path.resolve(values.renderer) : defaults.renderer,
  port,
});
console.log(`Convscope is running in server mode. Open this URL in a browser:\n  ${server.url}`);

const stop = async () => {
  await server.close();
  await service.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
