// The topk API calls, over the core's analysis functions.
import type { TopkCalls } from '../../common/api-topk.ts';
import type { ServiceContext } from './context.ts';

export function topkCalls(_ctx: ServiceContext): TopkCalls {
  return {};
}
