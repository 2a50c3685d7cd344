// Choosing a model file or an image folder: native dialogs in the desktop shell, else the small
// server-side file browser over the `browse` call.
import type { BrowseEntry } from '../../src-main/common/api.ts';
import { getApi } from '../lib/api-client.ts';
import { dirName, joinPath } from '../lib/format.ts';
import { toUserError } from '../lib/messages.ts';
import { FileBrowser, type BrowseKind } from '../state/file-browser.svelte.ts';
import { notices } from '../state/notices.svelte.ts';
import { session } from '../state/session.svelte.ts';
import { openFolder, openModel } from './session-service.ts';

export const browser = new FileBrowser();

let browseSeq = 0;

/** Open-model / open-folder buttons land here. */
export function chooseAndOpen(kind: BrowseKind): Promise<void> {
  return choosePath(kind, null, null);
}

/** A model file or folder for `onChoose` (opening it, when null), in a dialog titled `title`. */
export async function choosePath(kind: BrowseKind, title: string | null, onChoose: ((path: string) => Promise<void>) | null): Promise<void> {
  const api = getApi();
  const done = onChoose ?? ((p: string) => (kind === 'model' ? openModel(p) : openFolder(p)));
  if (api.hasNativeDialogs) {
    let picked: string | null;
    try {
      picked = await api.pickPath(kind);
    } catch (e) {
      notices.error(e, 'Opening the file dialog');
      return;
    }
    if (picked) await done(picked);
    return;
  }
  browser.onChoose = onChoose;
  browser.title = title;
  browser.kind = kind;
  browser.result = null;
  browser.error = null;
  browser.open = true;
  // Folders start beside the open one (its siblings are the likely choices); models where the core
  // suggests (the open model's folder).
  const openFolderRoot = session.folder?.root;
  await navigate(browser.lastPath[kind] ?? (kind === 'folder' && openFolderRoot ? dirName(openFolderRoot) : undefined));
}

export async function navigate(path?: string): Promise<void> {
  const seq = ++browseSeq;
  browser.loading = true;
  // Text typed into the path field while the listing loads is the user's next request: keep it.
  const typed = browser.pathInput;
  try {
    const result = await getApi().call('browse', { kind: browser.kind, ...(path ? { path } : {}) });
    if (seq !== browseSeq) return;
    browser.result = result;
    if (browser.pathInput === typed) browser.pathInput = result.path;
    browser.error = null;
    browser.lastPath[browser.kind] = result.path;
  } catch (e) {
    if (seq !== browseSeq) return;
    browser.error = toUserError(e).message;
    // Keep the typed path so it can be corrected.
  } finally {
    if (seq === browseSeq) browser.loading = false;
  }
}

export function up(): Promise<void> {
  const parent = browser.result?.parent;
  return parent ? navigate(parent) : Promise.resolve();
}

export async function activate(entry: BrowseEntry): Promise<void> {
  const here = browser.result?.path;
  if (!here) return;
  const target = joinPath(here, entry.name);
  if (entry.kind === 'dir') return navigate(target);
  if (browser.kind === 'model') await finish(target);
}

/** Chooses the folder being shown (folder dialogs). */
export function chooseCurrent(): Promise<void> {
  const here = browser.result?.path;
  return here ? finish(here) : Promise.resolve();
}

async function finish(path: string): Promise<void> {
  const kind = browser.kind;
  const onChoose = browser.onChoose;
  browser.open = false;
  await (onChoose ? onChoose(path) : kind === 'model' ? openModel(path) : openFolder(path));
}

export function closeBrowser(): void {
  browser.open = false;
  browseSeq++;
  browser.loading = false;
}

/** A file or folder dropped on the window (desktop shell): .onnx files open as models, anything else as a folder. */
export async function openDropped(files: FileList | null | undefined): Promise<boolean> {
  const file = files?.[0];
  if (!file) return false;
  const path = getApi().pathForFile(file);
  if (!path) return false;
  await (/\.onnx$/i.test(path) ? openModel(path) : openFolder(path));
  return true;
}
