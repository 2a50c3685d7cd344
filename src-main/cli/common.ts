// What every command shares: the common options, opening a model in a worker, printing.
import path from 'node:path';
import { nodeRuntimeHost } from '../core/runtime/launch-node.ts';
import type { ChildProcessHost } from '../core/runtime/process-host.ts';
import { chooseProvider } from '../core/runtime/provider.ts';
import { ModelSession, type OpenOptions } from '../core/model/model-session.ts';
import { required, UsageError } from './args.ts';

/** A command: resolves to its exit code (default 0), throws UsageError (2) or any error (1). */
export type Command = (argv: string[]) => Promise<number | void>;

/** A group of commands with their section of the help text. */
export interface CommandGroup {
  usage: string;
  commands: Record<string, Command>;
}

export const common = {
  model: { type: 'string' },
  json: { type: 'boolean' },
  provider: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function providerOf(values: Record<string, unknown>): 'auto' | 'cpu' | 'cuda' {
  const p = (values.provider as string | undefined) ?? process.env.CONVSCOPE_PROVIDER ?? 'auto';
  if (p !== 'auto' && p !== 'cpu' && p !== 'cuda') throw new UsageError(`--provider must be auto, cpu or cuda, got "${p}"`);
  return p;
}

/** How the model was opened, for commands that measure it (bench). */
export interface Opened {
  /** The runtime process the session lives in. */
  host: ChildProcessHost;
  /** Wall time of `ModelSession.open`, starting the runtime process included. */
  openMs: number;
}

/**
 * Opens --model in a runtime process for `fn`. `rewrite` (from the parsed graph) names the one copy
 * a command loads when it reads only a few tensors; without it, every layer and switch is tapped.
 */
export async function withModel<T>(values: Record<string, unknown>, fn: (m: ModelSession, opened: Opened) => Promise<T>, rewrite?: OpenOptions['rewrite']): Promise<T> {
  const host = nodeRuntimeHost();
  try {
    const file = path.resolve(required(values, 'model'));
    const choice = chooseProvider(providerOf(values));
    const t0 = performance.now();
    const model = await ModelSession.open(file, host, choice, { rewrite });
    return await fn(model, { host, openMs: performance.now() - t0 });
  } finally {
    await host.close();
  }
}

export function print(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text() + '\n');
}

