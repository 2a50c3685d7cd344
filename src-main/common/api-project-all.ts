// "Project all maps" as one job: its argument, its result, and the maps it hands out as parts.
/**
 * One map of "project all maps": its projection's display PNG (as `project` gives it) and where it
 * was projected from. No float data: a layer's worth would be hundreds of megabytes.
 */
export interface ProjectedMap {
  channel: number;
  position: [number, number] | null;
  value: number;
  png: Uint8Array;
}

export interface ProjectAllArg {
  path: string;
  layer: string;
  mode: 'single' | 'map';
  /** The maps, in the order they are projected (the grid's). */
  channels: number[];
  jobId?: string;
}

export interface ProjectAllResult {
  path: string;
  layer: string;
  mode: 'single' | 'map';
  maps: ProjectedMap[];
}
