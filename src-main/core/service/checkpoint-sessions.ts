// The sessions of a checkpoint set for one job (feature evolution, probes over checkpoints). The
// first checkpoint is opened before the job starts, to check the call's arguments against its
// layers; the job then takes that session as its first instead of opening the file again (a 250 MB
// model takes about a second to open). Sessions the app already holds (the open model) are shared
// and left open; those opened here are closed when the job is done with them.
import type { CheckpointFile } from '../model/checkpoints.ts';
import type { ModelSession } from '../model/model-session.ts';
import type { ServiceContext } from './context.ts';

export class CheckpointSessions {
  private readonly owned = new Set<ModelSession>();
  private first: ModelSession | null;

  private constructor(
    private readonly ctx: Pick<ServiceContext, 'workSession'>,
    private readonly firstCheckpoint: CheckpointFile,
    first: { session: ModelSession; owned: boolean },
  ) {
    this.first = first.session;
    if (first.owned) this.owned.add(first.session);
  }

  /** Opens the first of `checkpoints` (non-empty). */
  static async start(ctx: Pick<ServiceContext, 'workSession'>, checkpoints: readonly CheckpointFile[]): Promise<CheckpointSessions> {
    return new CheckpointSessions(ctx, checkpoints[0], await ctx.workSession(checkpoints[0].file));
  }

  /** Runs the call's checks against the first checkpoint's session; when they throw, its session is closed too. */
  async check(checks: (first: ModelSession) => void): Promise<void> {
    try {
      checks(this.first!);
    } catch (e) {
      await this.dispose();
      throw e;
    }
  }

  /** The job's `open`: the first checkpoint's session once, then the others. */
  readonly open = async (c: CheckpointFile): Promise<ModelSession> => {
    if (this.first && c === this.firstCheckpoint) {
      const s = this.first;
      this.first = null;
      return s;
    }
    const { session, owned } = await this.ctx.workSession(c.file);
    if (owned) this.owned.add(session);
    return session;
  };

  /** The job's `close`: closes what was opened here, once. */
  readonly close = async (m: ModelSession): Promise<void> => {
    if (!this.owned.delete(m)) return;
    await m.close();
  };

  /** The call's job: the first session is closed after it if the job never took it. */
  async during<T>(job: () => Promise<T>): Promise<T> {
    try {
      return await job();
    } finally {
      await this.dispose();
    }
  }

  /** After the call: the first session, when the job never took it (it failed its checks, or re-attached to a running job). */
  async dispose(): Promise<void> {
    const s = this.first;
    this.first = null;
    if (s) await this.close(s).catch(() => {});
  }
}
