// The toast list: errors stay until dismissed, infos fade on their own. Repeats of the same message
// are folded into one entry with a count.
import { toUserError } from '../lib/messages.ts';

export type NoticeKind = 'error' | 'warning' | 'info';

export interface Notice {
  id: number;
  kind: NoticeKind;
  message: string;
  code: string | null;
  count: number;
}

const INFO_MS = 4000;

export class Notices {
  items = $state<Notice[]>([]);
  private nextId = 1;

  add(kind: NoticeKind, message: string, code: string | null = null): number {
    const same = this.items.find((n) => n.kind === kind && n.message === message);
    if (same) {
      same.count++;
      return same.id;
    }
    const id = this.nextId++;
    this.items.push({ id, kind, message, code, count: 1 });
    // Keep the list short: the oldest non-error entries go first.
    while (this.items.length > 8) {
      const i = this.items.findIndex((n) => n.kind !== 'error');
      this.items.splice(i >= 0 ? i : 0, 1);
    }
    if (kind === 'info') setTimeout(() => this.dismiss(id), INFO_MS);
    return id;
  }

  /** Reports a failed call with the core's message; `context` says what was being done. */
  error(e: unknown, context?: string): number {
    const u = toUserError(e, context);
    return this.add('error', u.message, u.code);
  }

  warning(message: string): number {
    return this.add('warning', message);
  }

  info(message: string): number {
    return this.add('info', message);
  }

  dismiss(id: number): void {
    const i = this.items.findIndex((n) => n.id === id);
    if (i >= 0) this.items.splice(i, 1);
  }

  clear(): void {
    this.items = [];
  }
}

export const notices = new Notices();
