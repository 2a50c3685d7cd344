// One entry per kind of scan that can be spread over workers: how a worker runs a shard, and how the
// parent job merges the shards' results. Results travel through Redis as JSON. Top-k is here; the
// probe feature gathering and the evolution scans add their own entry (a shard type, a scan and a
// merge) beside it, and the queue, the worker and the flow serve them unchanged.
import { topkKind } from './topk-kind.ts';

export type { ModelProvider, ScanKind, ShardContext } from './kind-types.ts';
import type { ScanKind } from './kind-types.ts';

// `any`: each kind has its own shard and result types; the registry only routes by name.
export const KINDS: Record<string, ScanKind<any, any>> = {
  topk: topkKind,
};
