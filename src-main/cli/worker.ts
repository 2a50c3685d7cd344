// `convscope worker`: a process that takes scan shards from Redis (core/distributed) until stopped.
import { chooseProvider } from '../core/runtime/provider.ts';
import { nodeRuntimeHost } from '../core/runtime/launch-node.ts';
import { WorkerModels } from '../core/distributed/models.ts';
import { checkRedis, shownUrl } from '../core/distributed/queue.ts';
import { lockMsFromEnv, startWorker, workerName } from '../core/distributed/worker.ts';
import { intOption, parse, required } from './args.ts';
import { providerOf, type CommandGroup } from './common.ts';
import { Interrupt } from './interrupt.ts';

const USAGE = `Workers:
  convscope worker    --redis URL [--concurrency 1] [--provider auto|cpu|cuda]

  worker    takes the shards of scans started with \`convscope topk … --redis URL\` (on this or any
            machine) and runs them until stopped, one line on stderr per shard. It reads the model
            and the images at the paths the scan names, so they must be the same on every machine
            (a shared file system); a shard whose model differs in content fails rather than count.
            A worker that dies mid-shard loses nothing: after its lock lapses (30 s, or
            $CONVSCOPE_QUEUE_LOCK_MS) another worker takes the shard again. Ctrl-C finishes the
            shards in progress and exits (a second Ctrl-C exits at once).`;

async function worker(argv: string[]): Promise<number | void> {
  const values = parse(argv, { redis: { type: 'string' }, concurrency: { type: 'string' }, provider: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return void console.log(USAGE);
  const url = required(values, 'redis');
  const concurrency = intOption(values, 'concurrency', 1) ?? 1;
  const choice = chooseProvider(providerOf(values));
  await checkRedis(url);
  const log = (line: string) => process.stderr.write(`convscope worker: ${line}\n`);
  const interrupt = new Interrupt();
  const host = nodeRuntimeHost();
  const models = new WorkerModels(host, choice, workerName());
  try {
    const w = startWorker({ url, concurrency, lockMs: lockMsFromEnv(), models, log });
    await w.waitUntilReady();
    log(`${workerName()} taking shards from ${shownUrl(url)} (concurrency ${concurrency})`);
    await new Promise((resolve) => interrupt.signal.addEventListener('abort', resolve, { once: true }));
    log('stopping once the shards in progress are done');
    await w.close();
    return interrupt.exitCode;
  } finally {
    interrupt.dispose();
    await models.close();
    await host.close();
  }
}

export const workerGroup: CommandGroup = { usage: USAGE, commands: { worker } };
