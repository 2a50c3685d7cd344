// Images per second and time left of a running scan, from its progress events (the meter is shared
// with the running-jobs strip and the CLI: common/progress-text.ts).

export { RateMeter } from '../../src-main/common/progress-text.ts';
