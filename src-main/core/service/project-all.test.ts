// "Project all maps" as one kept job (projectAll): exactly the PNGs, values and positions the view's
// former per-batch `project` calls gave, in the order asked; progress in maps; each batch handed out
// as a part (jobParts) as it is done; kept with its arguments; cancel by job id. On the demo model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent, ProjectedMap } from '../../common/api.ts';
import { defaultPaths } from '../model/resources.ts';
import { createDispatcher } from './dispatcher.ts';
import { PROJECT_ALL_CHUNK } from './layer-calls.ts';
import { createService, type ConvscopeService } from './service.ts';

let service: ConvscopeService;
const progress: ProgressEvent[] = [];
let IMG: string;
const RELU3 = '/relu3/Relu_output_0';

beforeAll(async () => {
  service = createService({ shell: 'server', provider: 'cpu', progressIntervalMs: 0 });
  service.on((event, payload) => {
    if (event === 'progress') progress.push(payload as ProgressEvent);
  });
  await service.openModel({ path: defaultPaths().model });
  await service.openFolder({ path: defaultPaths().images });
  IMG = (await service.listImages({ offset: 3, limit: 1 })).entries[0].path;
}, 60_000);
afterAll(() => service.close());

describe('projectAll (one kept job)', () => {
  for (const mode of ['single', 'map'] as const) {
    it(`${mode}: gives exactly what the per-batch project calls gave, in the order asked`, async () => {
      // A grid's order: not 0…95.
      const channels = Array.from({ length: 96 }, (_, i) => (i * 37) % 96);
      const jobId = `all-${mode}`;
      const all = await service.projectAll({ path: IMG, layer: RELU3, mode, channels, jobId });
      expect(all).toMatchObject({ path: IMG, layer: RELU3, mode });
      expect(all.maps.map((m) => m.channel)).toEqual(channels);
      const ref: ProjectedMap[] = [];
      for (let i = 0; i < channels.length; i += 8) {
        const got = await service.project({ path: IMG, layer: RELU3, mode, targets: channels.slice(i, i + 8).map((channel) => ({ channel })) });
        ref.push(...got.map((p) => ({ channel: p.channel, position: p.position, value: p.value, png: p.png })));
      }
      expect(all.maps.map((m) => [m.channel, m.position, m.value])).toEqual(ref.map((m) => [m.channel, m.position, m.value]));
      all.maps.forEach((m, i) => expect(Buffer.from(m.png).equals(Buffer.from(ref[i].png)), `map ${m.channel}`).toBe(true));
      if (mode === 'single') expect(all.maps.every((m) => m.position !== null)).toBe(true);

      // Progress in maps, batch by batch.
      const mine = progress.filter((p) => p.jobId === jobId && !p.finished);
      expect(mine.every((p) => p.unit === 'maps' && p.total === 96)).toBe(true);
      expect([...new Set(mine.map((p) => p.done))]).toEqual(Array.from({ length: 96 / PROJECT_ALL_CHUNK + 1 }, (_, i) => i * PROJECT_ALL_CHUNK));
      // Kept: its arguments, its batches as parts in order, its result.
      expect((await service.jobs({})).find((j) => j.jobId === jobId)).toMatchObject({ kind: 'projectAll', finished: true, args: { path: IMG, layer: RELU3, mode, channels } });
      const parts = await service.jobParts({ jobId, from: 0 });
      expect(parts).toMatchObject({ kind: 'projectAll', finished: true });
      expect((parts.parts as { maps: ProjectedMap[] }[]).flatMap((p) => p.maps)).toEqual(all.maps);
      expect((await service.jobResult({ jobId })).value).toBe(all);
    }, 60_000);
  }

  it('names a map the layer does not have; cancel by job id stops it', async () => {
    const dispatch = createDispatcher(service);
    expect(await dispatch('projectAll', { path: IMG, layer: RELU3, mode: 'single', channels: [0, 96] })).toMatchObject({
      ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^projectAll: "channels\[1\]" must be /) },
    });
    const channels = Array.from({ length: 96 }, (_, i) => i);
    const cancelled = new Promise<void>((resolve) => {
      const off = service.on((event, payload) => {
        const p = payload as ProgressEvent;
        if (event === 'progress' && p.jobId === 'all-cancel' && p.done > 0) {
          off();
          void service.cancel({ jobId: 'all-cancel' }).then(() => resolve());
        }
      });
    });
    const pending = dispatch('projectAll', { path: IMG, layer: '/relu1/Relu_output_0', mode: 'map', channels: [...channels.slice(0, 32), ...channels.slice(0, 32), ...channels.slice(0, 32)], jobId: 'all-cancel' });
    await cancelled;
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    const info = (await service.jobs({})).find((j) => j.jobId === 'all-cancel');
    expect(info).toMatchObject({ finished: true, failed: 'CANCELLED' });
    expect(info!.done).toBeLessThan(96);
  }, 60_000);
});
