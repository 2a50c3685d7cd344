// Typed calls over whichever transport is present; failures become ApiError with the core's message.
import type { ApiEvents, ArgOf, EventName, Method, ResultOf } from '../../src-main/common/api.ts';
import { ApiError } from '../../src-main/common/errors.ts';
import { defaultTransport, type StatusListener, type Transport } from './transport.ts';

export class ApiClient {
  constructor(readonly transport: Transport = defaultTransport()) {}

  async call<M extends Method>(method: M, arg: ArgOf<M>): Promise<ResultOf<M>> {
    const envelope = await this.transport.invoke(method, arg);
    if (!envelope.ok) throw new ApiError(envelope.error);
    return envelope.value as ResultOf<M>;
  }

  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    return this.transport.subscribe((name, payload) => {
      if (name === event) listener(payload as ApiEvents[E]);
    });
  }

  onStatus(listener: StatusListener): () => void {
    return this.transport.onStatus?.(listener) ?? (() => {});
  }

  /** Where a dropped file lives, when the shell can tell (desktop only). */
  pathForFile(file: File): string | null {
    return this.transport.pathForFile?.(file) ?? null;
  }

  get hasNativeDialogs(): boolean {
    return typeof this.transport.pickPath === 'function';
  }

  pickPath(kind: 'model' | 'folder'): Promise<string | null> {
    if (!this.transport.pickPath) return Promise.resolve(null);
    return this.transport.pickPath(kind);
  }
}

let instance: ApiClient | null = null;

/** The app's client, created on first use so modules can be imported where there is no `location` (unit tests). */
export function getApi(): ApiClient {
  instance ??= new ApiClient();
  return instance;
}

/** Replaces the app's client (tests, or a host that brings its own transport). */
export function setApi(client: ApiClient): void {
  instance = client;
}
