// One measurement of bench-topk.ts in a process of its own: `scan` (top-9 of one layer, no cache),
// `queue` (the same scan through Redis at the URL given, shards run by a `convscope worker`) or
// `plain` (the untapped model's forward pass over the same images). Prints one JSON line, with
// the main thread's event-loop delay meanwhile (and while idle as long, the machine's own noise).
import path from 'node:path';
import { decodeImage, listImageFolder, preprocess } from '../src-main/core/images/index.ts';
import { runTopk } from '../src-main/core/analysis/topk/run.ts';
import { defaultBatchSize } from '../src-main/core/analysis/map-maxima.ts';
import { nodeRuntimeHost } from '../src-main/core/runtime/launch-node.ts';
import { chooseProvider } from '../src-main/core/runtime/provider.ts';
import { defaultPaths } from '../src-main/core/model/resources.ts';
import { ModelSession } from '../src-main/core/model/model-session.ts';
import { idleLoopDelay, loopDelayDuring } from './bench-loop.ts';
import { queueTopk } from '../src-main/core/distributed/topk-remote.ts';

const [mode, dir, layer, url] = process.argv.slice(2);
const host = nodeRuntimeHost();
try {
  const choice = chooseProvider('cpu');
  const model = await ModelSession.open(defaultPaths().model, host, choice);
  const listing = await listImageFolder(dir);
  const paths = listing.entries.map((e) => e.path);
  const { channels, height, width } = model.info.input;
  const inputSize = channels * height * width;
  const batchSize = defaultBatchSize(inputSize);
  const load = async (p: string) => preprocess(await decodeImage(path.join(listing.root, p), { channels }), model.info.preprocessing);

  const scan = async () => {
    await runTopk({ model, folder: { root: listing.root, paths }, layers: [layer], k: 9, load, cacheDir: null, batchSize });
  };
  const queued = async () => {
    await runTopk({ model, folder: { root: listing.root, paths }, layers: [layer], k: 9, load, cacheDir: null, batchSize, remote: queueTopk({ url }) });
  };
  // The worker opens the model with its first shard: done before timing, as the local scan's model is open.
  if (mode === 'queue') await runTopk({ model, folder: { root: listing.root, paths: paths.slice(0, batchSize) }, layers: [layer], k: 9, load, cacheDir: null, batchSize, remote: queueTopk({ url }) });
  const plain = async () => {
    // The untapped model: a copy with no outputs added, in the same runtime host.
    const plainForward = await model.forwardAt([]);
    const output = model.info.outputs[0].name;
    const loadBatch = (start: number) => Promise.all(paths.slice(start, start + batchSize).map(load));
    let next = loadBatch(0);
    for (let start = 0; start < paths.length; start += batchSize) {
      const tensors = await next;
      if (start + batchSize < paths.length) next = loadBatch(start + batchSize);
      const batch = new Float32Array(tensors.length * inputSize);
      tensors.forEach((t, j) => batch.set(t, j * inputSize));
      await plainForward(batch, tensors.length, [output]);
    }
  };

  const loop = await loopDelayDuring(mode === 'scan' ? scan : mode === 'queue' ? queued : plain);
  const idle = await idleLoopDelay(Math.min(loop.ms, 10_000));
  console.log(JSON.stringify({ mode, images: paths.length, seconds: loop.ms / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, loop, idle }));
} finally {
  await host.close();
}
