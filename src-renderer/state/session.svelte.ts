// What the core has open, as last reported by `getState` or a `state` event.
import type { AppState, FolderInfo, ModelInfo } from '../../src-main/common/api.ts';

export class Session {
  shell = $state<AppState['shell'] | null>(null);
  model = $state.raw<ModelInfo | null>(null);
  folder = $state.raw<FolderInfo | null>(null);
  /** True once the first state has arrived. */
  ready = $state(false);
  connected = $state(true);
  /** Start-up notices already shown, so repeated state events do not repeat them. */
  private seenNotices = new Set<string>();

  /** Applies a state and returns the notices not seen before. */
  apply(state: AppState): string[] {
    this.shell = state.shell;
    this.model = state.model;
    this.folder = state.folder;
    this.ready = true;
    const fresh = state.notices.filter((n) => !this.seenNotices.has(n));
    for (const n of fresh) this.seenNotices.add(n);
    return fresh;
  }
}

export const session = new Session();
