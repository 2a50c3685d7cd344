// `npm run bench` figures of the topk analysis.
import type { Record as BenchRecord } from './bench-record.ts';

export async function topkBench(_record: BenchRecord): Promise<void> {}
