// `npm run bench` figures of the invariance analysis.
import type { Record as BenchRecord } from './bench-record.ts';

export async function invarianceBench(_record: BenchRecord): Promise<void> {}
