// Which of the server's kept jobs a reloaded page takes up (services/jobs-service.ts).
import type { JobInfo } from '../../src-main/common/api-jobs.ts';

/**
 * The job each view takes up: the newest of its kind that this tab started (`mine`, kept across its
 * reloads) and that did not fail, running or finished (the list is newest first).
 */
export function jobsToReattach(jobs: readonly JobInfo[], selectedPath: string | null, mine: readonly string[]): JobInfo[] {
  const out: JobInfo[] = [];
  const seen = new Set<string>();
  for (const j of jobs) {
    // The Filters view has a panel for the open model and one for the compared model, each with its scan.
    const key = j.kind === 'spectra' ? `spectra|${j.args.model ?? ''}` : j.kind;
    if (seen.has(key) || j.failed !== undefined || !mine.includes(j.jobId)) continue;
    // Occlusion and the layer browser show the selected image's maps: a job for another image is not theirs.
    if ((j.kind === 'occlusion' || j.kind === 'projectAll') && j.args.path !== selectedPath) continue;
    seen.add(key);
    out.push(j);
  }
  return out;
}
