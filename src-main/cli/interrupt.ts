// Ctrl-C (SIGINT) and SIGTERM during a long command: Node's default is to die on the spot, which
// throws away work a command could keep (a top-k scan saves what it has counted when its signal
// aborts). So the first signal aborts the command's AbortSignal and lets it wind down; a second
// one exits at once, for a user who does not want to wait. The exit code is the shell's 128 + signal
// number (130 for Ctrl-C), so scripts can tell an interruption from a failure.
import os from 'node:os';

export class Interrupt {
  private readonly controller = new AbortController();
  /** The signal received, once one was. */
  received: NodeJS.Signals | null = null;

  private readonly onSignal = (sig: NodeJS.Signals) => {
    if (this.received) process.exit(Interrupt.exitCode(sig));
    this.received = sig;
    this.controller.abort();
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  static exitCode(sig: NodeJS.Signals): number {
    return 128 + (os.constants.signals[sig] ?? 2);
  }

  /** 128 + the signal's number, once a signal was received. */
  get exitCode(): number {
    return Interrupt.exitCode(this.received ?? 'SIGINT');
  }

  /** Back to Node's default handling. */
  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
