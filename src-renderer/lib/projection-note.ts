// What to say when a projection has nothing to show: a unit (or a whole map) whose activation is 0
// projects to a zero tensor, displayed as a flat grey tile that looks like a failure.
import type { ProjectionResult } from '../../src-main/common/api.ts';

export function projectionNote(p: Pick<ProjectionResult, 'mode' | 'value' | 'data'>): string | null {
  if (p.value === 0) {
    return p.mode === 'single' ? "this unit's activation is 0 here: nothing to project" : 'this map is 0 everywhere on this image: nothing to project';
  }
  for (let i = 0; i < p.data.length; i++) if (p.data[i] !== 0) return null;
  return 'the projection is 0 everywhere: nothing of this activation reaches the pixels';
}
