// The app as a user meets a runtime crash: the shipped demo model and samples through the service,
// the runtime process killed under a running scan and between calls. The call in flight fails naming
// the model; everything after works as before, the layer browser's projections included.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../common/api.ts';
import { launchNodeRuntime } from '../runtime/launch-node.ts';
import { ChildProcessHost, type LaunchRuntime } from '../runtime/process-host.ts';
import { defaultPaths } from '../model/resources.ts';
import { createService, type ConvscopeService } from './service.ts';

let service: ConvscopeService;
let cache: string;
const pid = () => (service.host as ChildProcessHost).pid!;
/** Set to kill the runtime right after it is sent its next `run`: the call is then surely in flight. */
let killOnNextRun = false;
let killedPid: number | undefined;
const launch: LaunchRuntime = (events) => {
  const proc = launchNodeRuntime(events);
  return {
    get pid() {
      return proc.pid;
    },
    send(message) {
      proc.send(message);
      if (killOnNextRun && message.type === 'run') {
        killOnNextRun = false;
        killedPid = proc.pid;
        process.kill(proc.pid!, 'SIGKILL');
      }
    },
    kill: () => proc.kill(),
    ref: (active) => proc.ref?.(active),
  };
};

beforeAll(async () => {
  cache = mkdtempSync(path.join(os.tmpdir(), 'convscope-recovery-'));
  process.env.CONVSCOPE_CACHE_DIR = cache;
  service = createService({ shell: 'server', provider: 'cpu', host: new ChildProcessHost({ launch }) });
  await service.openModel({ path: defaultPaths().model });
  await service.openFolder({ path: defaultPaths().images });
});

afterAll(async () => {
  await service.close();
  delete process.env.CONVSCOPE_CACHE_DIR;
  rmSync(cache, { recursive: true, force: true });
});

describe('a runtime crash seen from the app', () => {
  it('a scan running when the runtime dies fails naming the model; the next calls work', async () => {
    const { entries } = await service.listImages({ offset: 0, limit: 3 });
    const before = await service.predict({ path: entries[0].path });
    const layer = service.currentModel!.info.layers.find((l) => l.kind === 'relu')!.id;
    const scan = service.topkScan({ layers: [layer] });
    // Kill once the scan is under way (a batch done, most still to go), while a batch is in the
    // runtime: killed between two batches, the next batch would start a new process and go on.
    await new Promise<void>((resolve) => {
      const off = service.on((event, payload) => {
        const p = payload as ProgressEvent;
        if (event === 'progress' && p.done > 0 && p.done < p.total / 2) {
          off();
          killOnNextRun = true;
          resolve();
        }
      });
    });
    const err = await scan.then(() => null, (e: unknown) => e);
    const killed = killedPid;
    expect(killed, 'the scan sent no batch after its first progress').toBeDefined();
    expect(err, 'the scan finished despite the kill').not.toBeNull();
    expect(err).toMatchObject({ code: 'RUNTIME_FAILED', message: expect.stringMatching(/^zf-mini\.onnx: the inference process crashed \(signal SIGKILL\)/) });

    const after = await service.predict({ path: entries[0].path });
    expect(pid()).not.toBe(killed);
    expect(after.top).toEqual(before.top);
    const rescan = await service.topkScan({ layers: [layer] });
    expect(rescan.complete).toBe(true);
  }, 120_000);

  it('projections of the image open in the layer browser survive a crash between two clicks', async () => {
    const { entries } = await service.listImages({ offset: 5, limit: 1 });
    const layer = service.currentModel!.info.layers.filter((l) => l.kind === 'relu')[1].id;
    await service.layerActivations({ path: entries[0].path, layer });
    const first = await service.project({ path: entries[0].path, layer, mode: 'single', targets: [{ channel: 2 }] });
    process.kill(pid(), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    const again = await service.project({ path: entries[0].path, layer, mode: 'single', targets: [{ channel: 2 }] });
    expect(again[0].position).toEqual(first[0].position);
    expect(again[0].data).toEqual(first[0].data);
  }, 120_000);
});
