// `convscope` commands of the topk analysis.
import type { CommandGroup } from './common.ts';

export const topkGroup: CommandGroup = { usage: '', commands: {} };
