// Boots a compute worker from TypeScript sources (development, tests, CLI, server mode): each worker
// thread registers its own tsx loader before importing the real entry. Bundled, workers start their
// .js entry directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
