// Re-attaching after a reload: jobs keep running on the server when their page goes away, and the
// server keeps their results for a while (core/jobs/kept-jobs.ts). On load, once the fragment's place
// is restored, a view takes up the newest running or just-finished job this tab started (its reload)
// as if this page load had started it.
import { getApi } from '../lib/api-client.ts';
import { jobsToReattach } from '../lib/job-reattach.ts';
import { startedJobs } from '../lib/started-jobs.ts';
import { progress } from '../state/progress.svelte.ts';
import { selected } from './images-service.ts';
import { reattachCorrespondence } from './correspondence-service.ts';
import { reattachFiring } from './filters-service.ts';
import { reattachSweeps } from './invariance-service.ts';
import { reattachProjectAll } from './layers-service.ts';
import { reattachEvolution } from './evolution-service.ts';
import { reattachOcclusion } from './occlusion-service.ts';
import { reattachCheckpointProbe, reattachProbe } from './probe-service.ts';
import { reattachReport } from './model-service.ts';
import { reattachScan } from './topk-service.ts';

export async function reattachJobs(): Promise<void> {
  const jobs = await getApi().call('jobs', {});
  // Running jobs show in the strip with the time since they really started, not since this load.
  for (const j of jobs) if (!j.finished) progress.started(j.jobId, j.startedAt);
  for (const j of jobsToReattach(jobs, selected.entry?.path ?? null, startedJobs())) {
    if (j.kind === 'occlusion') void reattachOcclusion(j);
    else if (j.kind === 'topk') void reattachScan(j);
    else if (j.kind === 'invariance') void reattachSweeps(j);
    else if (j.kind === 'spectra') void reattachFiring(j);
    else if (j.kind === 'projectAll') void reattachProjectAll(j);
    else if (j.kind === 'correspondence') void reattachCorrespondence(j);
    else if (j.kind === 'probe') void reattachProbe(j);
    else if (j.kind === 'evolution') void reattachEvolution(j);
    else if (j.kind === 'probeCheckpoints') void reattachCheckpointProbe(j);
    else if (j.kind === 'report') void reattachReport(j);
  }
}
