// Entry of the runtime process. Requests arrive as frames on fd 3 (a child forked by Node, see
// launch-node.ts) or as messages on the parent port (Electron's utilityProcess); each is answered
// when done, so a long inference never holds up a quick call.
import net from 'node:net';
import { toErrorInfo } from '../../common/errors.ts';
import { encodeFrame, FrameReader } from './frames.ts';
import type { RuntimeRequest, RuntimeResponse } from './protocol.ts';
import { handle } from './session-worker.ts';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

// A Ctrl-C in the terminal reaches the whole process group, this process too; the app decides what
// an interrupt means (the CLI saves a scan's progress first, which needs this process). It ends when
// the app closes the pipe or goes away.
process.on('SIGINT', () => {});

if (parentPort) {
  const post = (r: RuntimeResponse) => parentPort.postMessage(r);
  parentPort.on('message', (e) => void handle(e.data as RuntimeRequest, post).then(post));
} else {
  const socket = new net.Socket({ fd: 3, readable: true, writable: true });
  const reply = (r: RuntimeResponse) => {
    let parts: Buffer[];
    try {
      parts = encodeFrame(r);
    } catch (e) {
      parts = encodeFrame({ id: r.id, ok: false, error: toErrorInfo(e) });
    }
    for (const p of parts) socket.write(p);
  };
  const reader = new FrameReader((m) => void handle(m as RuntimeRequest, reply).then(reply));
  socket.on('data', (chunk) => reader.push(chunk));
  // The app is gone (or closed the pipe): nothing is left to answer.
  socket.on('close', () => process.exit(0));
  socket.on('error', () => process.exit(0));
}
