import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src-main/common/api-jobs.ts';
import { jobsToReattach } from './job-reattach.ts';

const base = { label: 'l', done: 1, total: 4, unit: 'positions', finished: false, startedAt: 0 };
const occ = (jobId: string, path: string, extra: Partial<JobInfo> = {}) => ({ ...base, jobId, kind: 'occlusion', args: { path }, ...extra }) as JobInfo;
const scan = (jobId: string, extra: Partial<JobInfo> = {}) => ({ ...base, jobId, kind: 'topk', args: { layers: ['c'] }, ...extra }) as JobInfo;

describe('jobs to re-attach', () => {
  it('takes the newest job of each view that this tab started and that did not fail, running or finished', () => {
    const jobs = [occ('o3', 'a.png', { failed: 'CANCELLED', finished: true }), occ('o2', 'a.png', { finished: true }), occ('o1', 'a.png'), scan('s2'), scan('s1')];
    expect(jobsToReattach(jobs, 'a.png', ['o1', 'o2', 'o3', 's1', 's2']).map((j) => j.jobId)).toEqual(['o2', 's2']);
    // Another tab's jobs stay with it.
    expect(jobsToReattach(jobs, 'a.png', ['o1']).map((j) => j.jobId)).toEqual(['o1']);
  });

  it('an occlusion of another image than the selected one is left alone', () => {
    expect(jobsToReattach([occ('o1', 'b.png')], 'a.png', ['o1'])).toEqual([]);
    expect(jobsToReattach([occ('o1', 'b.png')], null, ['o1'])).toEqual([]);
  });

  it('an invariance sweep (all its transforms, one job) is taken up whatever image is selected', () => {
    const sweep = (jobId: string, extra: Partial<JobInfo> = {}) =>
      ({ ...base, jobId, kind: 'invariance', args: { paths: ['b.png'], sweeps: [{ transform: 'scale', thetas: [1, 2] }] }, ...extra }) as JobInfo;
    expect(jobsToReattach([sweep('i2', { failed: 'CANCELLED', finished: true }), sweep('i1'), occ('o1', 'a.png')], 'a.png', ['i1', 'i2', 'o1']).map((j) => j.jobId)).toEqual(['i1', 'o1']);
    expect(jobsToReattach([sweep('i1')], null, [])).toEqual([]);
  });

  it('a firing scan per Filters panel: the open model\'s and the compared model\'s', () => {
    const firing = (jobId: string, model?: string) => ({ ...base, jobId, kind: 'spectra', args: model ? { model } : {} }) as JobInfo;
    const jobs = [firing('f4', '/m/b.onnx'), firing('f3'), firing('f2', '/m/b.onnx'), firing('f1')];
    expect(jobsToReattach(jobs, null, ['f1', 'f2', 'f3', 'f4']).map((j) => j.jobId)).toEqual(['f4', 'f3']);
    expect(jobsToReattach(jobs, null, ['f1', 'f2']).map((j) => j.jobId)).toEqual(['f2', 'f1']);
  });

  it('"project all maps" of the selected image only', () => {
    const all = (jobId: string, path: string) => ({ ...base, jobId, kind: 'projectAll', args: { path, layer: 'l', mode: 'single', channels: [0] } }) as JobInfo;
    expect(jobsToReattach([all('p2', 'b.png'), all('p1', 'a.png')], 'a.png', ['p1', 'p2']).map((j) => j.jobId)).toEqual(['p1']);
  });
});
