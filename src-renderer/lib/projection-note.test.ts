import { describe, expect, it } from 'vitest';
import { projectionNote } from './projection-note.ts';

describe('projectionNote', () => {
  const zeros = new Float32Array(12);
  it('an activation of 0 says there is nothing to project, by mode', () => {
    expect(projectionNote({ mode: 'single', value: 0, data: zeros })).toBe("this unit's activation is 0 here: nothing to project");
    expect(projectionNote({ mode: 'map', value: 0, data: zeros })).toBe('this map is 0 everywhere on this image: nothing to project');
  });

  it('a positive activation whose projection is all 0 says so; a real projection says nothing', () => {
    expect(projectionNote({ mode: 'single', value: 1.5, data: zeros })).toBe('the projection is 0 everywhere: nothing of this activation reaches the pixels');
    const some = new Float32Array(12);
    some[7] = -0.25;
    expect(projectionNote({ mode: 'single', value: 1.5, data: some })).toBeNull();
  });
});
