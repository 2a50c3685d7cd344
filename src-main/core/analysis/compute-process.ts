// Entry of the analyses' compute process (started by compute.ts; bundled as out/main/compute-process.js):
// the tasks that load onnxruntime, kept out of the app's own process.
import { serveTasks } from '../jobs/compute-serve.ts';
import { processTasks } from './compute-process-tasks.ts';

serveTasks(processTasks);
