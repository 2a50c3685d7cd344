// `convscope` commands of the spectra analysis.
import type { CommandGroup } from './common.ts';

export const spectraGroup: CommandGroup = { usage: '', commands: {} };
