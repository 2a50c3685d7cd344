// Entry of a compute worker thread (started by compute.ts; bundled as out/main/compute-worker.js).
import { serveTasks } from '../jobs/compute-serve.ts';
import { analysisTasks } from './compute-tasks.ts';

serveTasks(analysisTasks);
