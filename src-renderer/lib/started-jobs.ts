// The jobs this tab started, in its sessionStorage: a reload of the tab takes its own jobs up again
// (services/jobs-service.ts), while another tab, or a page opened later, leaves them to their page.

export const STARTED_KEY = 'convscope_jobs';
/** Only the newest few matter: the server keeps few results, for minutes. */
const MAX_KEPT = 20;

/** A getter, because merely reading `sessionStorage` throws where site data is blocked. */
export type StorageGetter = () => Pick<Storage, 'getItem' | 'setItem'>;

const browserStorage: StorageGetter = () => sessionStorage;

export function startedJobs(storage: StorageGetter = browserStorage): string[] {
  try {
    const list: unknown = JSON.parse(storage().getItem(STARTED_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberStartedJob(jobId: string, storage: StorageGetter = browserStorage): void {
  try {
    const list = [...startedJobs(storage).filter((j) => j !== jobId), jobId].slice(-MAX_KEPT);
    storage().setItem(STARTED_KEY, JSON.stringify(list));
  } catch {
    // No storage: a reload cannot re-attach; the job itself runs on.
  }
}
