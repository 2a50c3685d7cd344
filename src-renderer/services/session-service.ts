// Opening models and folders, start-up state and core events; failures become toasts.
import type { AppState, FolderInfo, ModelInfo } from '../../src-main/common/api.ts';
import type { Preprocessing } from '../../src-main/common/types.ts';
import { getApi } from '../lib/api-client.ts';
import { baseName } from '../lib/format.ts';
import { isCancelled, toUserError, type UserError } from '../lib/messages.ts';
import { notices } from '../state/notices.svelte.ts';
import { progress } from '../state/progress.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { refreshPrediction, resetFolder } from './images-service.ts';

export function folderKey(f: FolderInfo | null): string | null {
  return f ? `${f.root}|${f.count}|${f.skipped.length}` : null;
}

/** What predictions depend on: the file, its preprocessing and its labels. */
export function modelKey(m: ModelInfo | null): string | null {
  return m ? `${m.path}|${m.sizeBytes}|${JSON.stringify(m.preprocessing)}|${m.labels?.join('\n') ?? ''}` : null;
}

let currentFolderKey: string | null = null;
let currentModelKey: string | null = null;
/** Opens this page asked for and has not heard back on: a change while none is in flight came from another page. */
let ownOpens = 0;
/** Set once the first state arrived: before it nothing was shown, so nothing changed under the user. */
let started = false;
let shownModel: string | null = null;
let shownFolder: string | null = null;

export function applyState(state: AppState): void {
  const fresh = session.apply(state);
  for (const n of fresh) notices.warning(n);
  const fk = folderKey(state.folder);
  const mk = modelKey(state.model);
  const folderChanged = fk !== currentFolderKey;
  const modelChanged = mk !== currentModelKey;
  // Every page of one server shares its session (README): say so when another page changed it.
  const modelPath = state.model?.path ?? null;
  const folderRoot = state.folder?.root ?? null;
  if (started && ownOpens === 0) {
    if (modelPath !== shownModel && state.model) notices.info(`Another window opened ${state.model.name}; this page shows it now (the pages of one Convscope share its model and folder)`);
    else if (folderRoot !== shownFolder && state.folder) notices.info(`Another window opened the folder ${baseName(state.folder.root)}; this page shows it now`);
  }
  started = true;
  shownModel = modelPath;
  shownFolder = folderRoot;
  currentFolderKey = fk;
  currentModelKey = mk;
  if (folderChanged) void resetFolder(fk, state.folder?.count ?? 0);
  else if (modelChanged) refreshPrediction();
}

async function refreshState(): Promise<void> {
  try {
    applyState(await getApi().call('getState', {}));
  } catch (e) {
    notices.error(e, 'Reading the app state');
  }
}

/** Subscribes to core events and loads the initial state. */
export async function startSession(): Promise<void> {
  const api = getApi();
  api.on('state', applyState);
  api.on('progress', (e) => progress.update(e));
  api.onStatus((connected) => {
    session.connected = connected;
    if (!connected) {
      progress.clear();
      notices.add('error', 'The connection to the Convscope server was lost. Restart it and open the new URL it prints.');
    }
  });
  await refreshState();
}

export async function openModel(path: string): Promise<boolean> {
  ownOpens++;
  try {
    await getApi().call('openModel', { path });
    await refreshState();
    notices.info(`Opened ${baseName(path)}`);
    return true;
  } catch (e) {
    if (isCancelled(e)) notices.info(`Cancelled opening ${baseName(path)}`);
    else notices.error(e, `Could not open model ${path}`);
    return false;
  } finally {
    ownOpens--;
  }
}

export async function openFolder(path: string): Promise<boolean> {
  ownOpens++;
  try {
    await getApi().call('openFolder', { path });
    await refreshState();
    return true;
  } catch (e) {
    if (isCancelled(e)) notices.info(`Cancelled opening ${baseName(path)}`);
    else notices.error(e, `Could not open folder ${path}`);
    return false;
  } finally {
    ownOpens--;
  }
}

/** Saves preprocessing; on failure returns the core's error for the form to show. */
export async function savePreprocessing(preprocessing: Preprocessing): Promise<UserError | null> {
  try {
    const info = await getApi().call('savePreprocessing', { preprocessing });
    await refreshState();
    // Beside the model is what people expect; a read-only model folder sends it to Convscope's cache: say where.
    const beside = info.sidecarPath.replace(/[\\/][^\\/]*$/, '') === info.path.replace(/[\\/][^\\/]*$/, '');
    notices.info(`Saved preprocessing to ${beside ? baseName(info.sidecarPath) : info.sidecarPath}`);
    return null;
  } catch (e) {
    return toUserError(e);
  }
}

export async function cancelJob(jobId: string): Promise<void> {
  progress.markCancelling(jobId);
  try {
    await getApi().call('cancel', { jobId });
  } catch (e) {
    notices.error(e, 'Cancelling');
  }
}
