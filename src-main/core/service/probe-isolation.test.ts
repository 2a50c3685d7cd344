// The probe fit runs onnxruntime's Gemm, so it runs in the compute process (analysis/compute.ts),
// never in the app's own process: after probes through the service, onnxruntime's native library is
// mapped in the compute process and not in this one (nor in its worker threads, which share its
// address space). A compute process killed under a fit (SIGKILL, or SIGABRT as a native abort
// sends) fails that probe naming what happened; the service keeps serving and the next probe works.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../common/api-probe.ts';
import { analysisProcessPool } from '../analysis/compute.ts';
import { defaultPaths } from '../model/resources.ts';
import { createDispatcher, type Dispatch } from './dispatcher.ts';
import { createService, type ConvscopeService } from './service.ts';

let service: ConvscopeService;
let call: Dispatch;
const layers = ['/conv1/Conv_output_0', '/fc7/Gemm_output_0'];

/** Whether the process maps onnxruntime's native code (its binding or its shared library). */
const mapsOrt = (pid: number | 'self') => /onnxruntime/i.test(readFileSync(`/proc/${pid}/maps`, 'utf8'));

beforeAll(async () => {
  service = createService({ shell: 'server', provider: 'cpu' });
  call = createDispatcher(service);
  await service.openModel({ path: defaultPaths().model });
  await service.openFolder({ path: defaultPaths().images });
}, 60_000);

afterAll(async () => {
  analysisProcessPool().onDispatch = null;
  await service.close();
});

const probe = async () => {
  const r = await call('probe', { layers, folds: 3 });
  if (!r.ok) throw Object.assign(new Error(r.error.message), { code: r.error.code });
  return r.value as ProbeResult;
};

describe('the probe fit in its own process', () => {
  it.runIf(process.platform === 'linux')('loads onnxruntime in the compute process only, never in this one', async () => {
    const r = await probe();
    expect(r.layers.map((l) => l.features)).toEqual([32, 256]);
    const [fitter] = analysisProcessPool().running;
    expect(fitter?.pid, 'no compute process ran the fit').toBeDefined();
    // The check can fail: the fit's process maps onnxruntime, found the same way.
    expect(mapsOrt(fitter.pid!)).toBe(true);
    expect(mapsOrt('self'), 'onnxruntime is loaded in the app process').toBe(false);
  }, 60_000);

  for (const signal of ['SIGKILL', 'SIGABRT'] as const) {
    it(`a compute process ended by ${signal} under a fit fails that probe only; the next one works`, async () => {
      const before = await probe();
      let killed: number | undefined;
      analysisProcessPool().onDispatch = (_task, pid) => {
        analysisProcessPool().onDispatch = null;
        killed = pid;
        process.kill(pid!, signal);
      };
      const err = await probe().then(() => null, (e: unknown) => e);
      expect(killed).toBeDefined();
      expect(err).toMatchObject({ code: 'RUNTIME_FAILED' });
      // The message names what ended the process and what it was doing (the layer whose fit was sent
      // first; its own last stderr line may ride along inside the parentheses).
      const message = (err as Error).message;
      expect(message, message).toMatch(new RegExp(`^the compute process crashed \\(signal ${signal}\\b`));
      expect(message, message).toMatch(/\) while fitting the probe of \S+; a fresh one starts on the next task$/);
      // The service keeps serving, and the next probe runs in a fresh process with the same result.
      const { entries } = await service.listImages({ offset: 0, limit: 1 });
      expect((await service.predict({ path: entries[0].path })).top.length).toBeGreaterThan(0);
      const after = await probe();
      expect(analysisProcessPool().running[0].pid).not.toBe(killed);
      expect(after.layers).toEqual(before.layers);
    }, 120_000);
  }
});
