// Entry of the session worker thread.
import { parentPort } from 'node:worker_threads';
import { handle, transferList } from './session-worker.ts';
import type { WorkerRequest } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('worker-main must run in a worker thread');
port.on('message', (req: WorkerRequest) => {
  void handle(req).then((resp) => port.postMessage(resp, transferList(resp)));
});
