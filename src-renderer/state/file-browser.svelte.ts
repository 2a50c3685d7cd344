// The server-mode file browser's state: where it is, what is there, and what it is choosing.
import type { BrowseResult } from '../../src-main/common/api.ts';

export type BrowseKind = 'model' | 'folder';

export class FileBrowser {
  open = $state(false);
  kind = $state<BrowseKind>('model');
  result = $state.raw<BrowseResult | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** The path field; follows navigation, and can be typed into. */
  pathInput = $state('');
  /** What choosing does, when not opening a model or folder (the Training view's checkpoints), and the dialog's title then. */
  onChoose: ((path: string) => Promise<void>) | null = null;
  title = $state<string | null>(null);
  /** Where each kind of dialog was last, to start there next time. */
  lastPath: Record<BrowseKind, string | undefined> = { model: undefined, folder: undefined };
}
