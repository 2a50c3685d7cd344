// `convscope` commands of the invariance analysis.
import type { CommandGroup } from './common.ts';

export const invarianceGroup: CommandGroup = { usage: '', commands: {} };
