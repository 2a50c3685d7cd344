// Starts `convscope` in server mode as a child process and reads the tokened URL it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { paths, repoRoot } from './env.ts';

export interface RunningServer {
  /** The printed URL, with `?token=`. */
  url: string;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  token: string;
  stop(): Promise<void>;
}

const URL_RE = /(http:\/\/127\.0\.0\.1:\d+)\/\?token=([A-Za-z0-9_-]+)/;

export async function startServer(extraArgs: string[] = [], timeoutMs = 90_000): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', paths.serverMain, '--port', '0', '--provider', 'cpu', '--renderer', paths.rendererDir, ...extraArgs], {
    cwd: repoRoot,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const found = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => fail(`no URL printed within ${timeoutMs / 1000} s`), timeoutMs);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`convscope server did not start: ${why}\n--- output ---\n${output.slice(-4000)}`));
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.includes('http://127.0.0.1:'));
      const m = line?.match(URL_RE);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (e) => fail(e.message));
  });
  // Keep draining so the child never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  child.removeAllListeners('exit');
  return { url: found[0], origin: found[1], token: found[2], stop: () => stop(child) };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
