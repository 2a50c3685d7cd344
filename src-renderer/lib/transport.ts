// How the renderer reaches the core: Electron IPC when the preload bridge is there, else a WebSocket
// to the server that served this page. Both carry the same envelopes.
import type { PreloadBridge } from '../../src-main/common/api.ts';
import type { Envelope } from '../../src-main/common/errors.ts';
import { decodeMessage, encodeMessage } from '../../src-main/common/wire.ts';
import { apiUrl, pageToken } from './session-token.ts';

export type EventListener = (event: string, payload: unknown) => void;
export type StatusListener = (connected: boolean) => void;

export interface Transport {
  readonly kind: 'ipc' | 'websocket';
  invoke(method: string, arg: unknown): Promise<Envelope<unknown>>;
  subscribe(listener: EventListener): () => void;
  pickPath?(kind: 'model' | 'folder'): Promise<string | null>;
  /** The file-system path of a dropped file (desktop shell only). */
  pathForFile?(file: File): string | null;
  /** Connection changes, for transports that can lose their connection. */
  onStatus?(listener: StatusListener): () => void;
}

export function bridge(): PreloadBridge | undefined {
  return (globalThis as { convscope?: PreloadBridge }).convscope;
}

export class IpcTransport implements Transport {
  readonly kind = 'ipc' as const;
  constructor(private readonly b: PreloadBridge) {}
  invoke(method: string, arg: unknown): Promise<Envelope<unknown>> {
    return this.b.invoke(method, arg) as Promise<Envelope<unknown>>;
  }
  subscribe(listener: EventListener): () => void {
    return this.b.subscribe(listener);
  }
  pickPath(kind: 'model' | 'folder'): Promise<string | null> {
    return this.b.pickPath(kind);
  }
  pathForFile(file: File): string | null {
    // The preload adds this beside the contract's calls; a sandboxed page cannot read File.path itself.
    const fn = (this.b as { pathForFile?: (f: File) => string }).pathForFile;
    return typeof fn === 'function' ? fn(file) || null : null;
  }
}

export class WebSocketTransport implements Transport {
  readonly kind = 'websocket' as const;
  private socket: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private nextId = 1;
  private pending = new Map<number, (e: Envelope<unknown>) => void>();
  private listeners = new Set<EventListener>();
  private statusListeners = new Set<StatusListener>();

  constructor(private readonly url: string) {}

  private connect(): Promise<WebSocket> {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) return Promise.resolve(this.socket);
    if (this.opening) return this.opening;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        this.socket = ws;
        this.opening = null;
        resolve(ws);
        for (const l of this.statusListeners) l(true);
      };
      ws.onerror = () => {
        this.opening = null;
        reject(new Error('cannot reach the Convscope server (is it still running?)'));
      };
      ws.onclose = () => {
        const wasOpen = this.socket === ws;
        this.socket = null;
        if (wasOpen) for (const l of this.statusListeners) l(false);
        for (const done of this.pending.values()) {
          done({ ok: false, error: { code: 'INTERNAL', message: 'the connection to the Convscope server was closed' } });
        }
        this.pending.clear();
      };
      ws.onmessage = (ev: MessageEvent) => {
        const msg = decodeMessage(new Uint8Array(ev.data as ArrayBuffer)) as
          | ({ id: number } & Envelope<unknown>)
          | { event: string; payload: unknown };
        if ('event' in msg) {
          for (const l of this.listeners) l(msg.event, msg.payload);
          return;
        }
        const done = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        done?.(msg);
      };
    });
    return this.opening;
  }

  async invoke(method: string, arg: unknown): Promise<Envelope<unknown>> {
    let ws: WebSocket;
    try {
      ws = await this.connect();
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL', message: (e as Error).message } };
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      ws.send(encodeMessage({ id, method, arg }));
    });
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    void this.connect().catch(() => {});
    return () => this.listeners.delete(listener);
  }

  onStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }
}

export function defaultTransport(): Transport {
  const b = bridge();
  if (b) return new IpcTransport(b);
  // The API needs the token sent explicitly; the server's cookie does not open it (session-token.ts).
  return new WebSocketTransport(apiUrl(location, pageToken()));
}
