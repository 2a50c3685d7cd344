// The spectra API calls, over the core's analysis functions.
import type { SpectraCalls } from '../../common/api-spectra.ts';
import type { ServiceContext } from './context.ts';

export function spectraCalls(_ctx: ServiceContext): SpectraCalls {
  return {};
}
