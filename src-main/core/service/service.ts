// The core's implementation of the API contract: every call, composed from the modules that own them
// (app-calls.ts, layer-calls.ts, one per analysis) over one shared AppContext. Both shells (Electron
// IPC, HTTP/WebSocket) and the tests talk to it through the dispatcher.
import type { ApiCalls } from '../../common/api.ts';
import type { ModelSession } from '../model/model-session.ts';
import type { RuntimeHost } from '../runtime/host.ts';
import { AppContext, type Listener, type ServiceOptions } from './app-context.ts';
import { appCalls } from './app-calls.ts';
import { correspondenceCalls } from './correspondence-calls.ts';
import { evolutionCalls } from './evolution-calls.ts';
import { invarianceCalls } from './invariance-calls.ts';
import { layerCalls } from './layer-calls.ts';
import { occlusionCalls } from './occlusion-calls.ts';
import { probeCalls } from './probe-calls.ts';
import { spectraCalls } from './spectra-calls.ts';
import { topkCalls } from './topk-calls.ts';
import { AnalysisMemory, modelCalls, rememberingCalls } from './model-calls.ts';

export type { ServiceOptions };

/** The API's calls, and what the shells need besides: events, start-up notices, shutting down. */
export interface ConvscopeService extends ApiCalls {
  on(listener: Listener): () => void;
  /** A message the app shows once it is up (a model or folder given on the command line that failed to open). */
  addNotice(text: string): void;
  readonly host: RuntimeHost;
  readonly currentModel: ModelSession | null;
  close(): Promise<void>;
}

export function createService(options: ServiceOptions): ConvscopeService {
  const ctx = new AppContext(options);
  const own = { ...appCalls(ctx), ...layerCalls(ctx), ...spectraCalls(ctx), ...invarianceCalls(ctx), ...topkCalls(ctx, options.redis), ...occlusionCalls(ctx), ...correspondenceCalls(ctx), ...probeCalls(ctx), ...evolutionCalls(ctx) };
  // The Model overview reads what the analyses returned for the open model and folder.
  const memory = new AnalysisMemory();
  const calls: ApiCalls = { ...own, ...rememberingCalls(ctx, own, memory), ...modelCalls(ctx, own, memory) };
  return {
    ...calls,
    on: (listener) => ctx.on(listener),
    addNotice: (text) => ctx.addNotice(text),
    host: ctx.host,
    get currentModel() {
      return ctx.currentModel;
    },
    close: () => ctx.close(),
  };
}
