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

  it('an occlusion of another image than the selected one, and invariance sweeps, are left alone', () => {
    const sweep = { ...base, jobId: 'i1', kind: 'invariance', args: { paths: ['a.png'], transform: 'scale', thetas: [1] } } as JobInfo;
    expect(jobsToReattach([occ('o1', 'b.png'), sweep], 'a.png', ['o1', 'i1'])).toEqual([]);
    expect(jobsToReattach([occ('o1', 'b.png')], null, ['o1'])).toEqual([]);
  });
});
