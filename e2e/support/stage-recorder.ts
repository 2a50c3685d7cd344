// Records every stage and count a run's progress row shows, as the page shows them: "Stage 1/2:
// features | 12 / 300 images". A recorder in the page, so no state is missed between two polls.
import type { Page } from '@playwright/test';

interface PageDom {
  document: { body: unknown; querySelector(s: string): { textContent: string | null } | null };
  MutationObserver: new (f: () => void) => { observe(t: unknown, o: Record<string, boolean>): void };
  __stagesSeen?: Record<string, string[]>;
}

/** Starts recording what the progress row `[data-testid=<progress>]` shows. */
export async function recordStages(app: Page, progress: string): Promise<void> {
  await app.evaluate((id) => {
    const g = globalThis as unknown as PageDom;
    const seen: string[] = [];
    g.__stagesSeen = { ...(g.__stagesSeen ?? {}), [id]: seen };
    new g.MutationObserver(() => {
      const stage = g.document.querySelector(`[data-testid="${id}"] [data-testid="run-stage"]`)?.textContent?.trim();
      const count = g.document.querySelector(`[data-testid="${id}"] .text`)?.textContent?.trim().split(' · ')[0];
      const line = stage ? `${stage} | ${count}` : '';
      if (line && seen.at(-1) !== line) seen.push(line);
    }).observe(g.document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, progress);
}

/** What the row showed since `recordStages`, in order. */
export function stagesSeen(app: Page, progress: string): Promise<string[]> {
  return app.evaluate((id) => (globalThis as unknown as PageDom).__stagesSeen?.[id] ?? [], progress);
}
