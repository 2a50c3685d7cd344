// The invariance API calls, over the core's analysis functions.
import type { InvarianceCalls } from '../../common/api-invariance.ts';
import type { ServiceContext } from './context.ts';

export function invarianceCalls(_ctx: ServiceContext): InvarianceCalls {
  return {};
}
