// A client that stops reading cannot make the server hold its replies without bound.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { sendOrDrop } from './api-socket.ts';

describe('sendOrDrop', () => {
  it('sends while the peer reads, and closes the connection (1008) once unread replies pass the limit', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const [server] = (await once(wss, 'connection')) as [WebSocket];
    await once(client, 'open');
    try {
      let received = 0;
      client.on('message', () => received++);
      sendOrDrop(server, new Uint8Array(1000), () => {}, 1 << 20);
      await new Promise((r) => setTimeout(r, 50));
      expect(received).toBe(1);

      // The client stops reading: the kernel buffers fill, then ws queues, then the limit trips.
      (client as unknown as { _socket: { pause(): void } })._socket.pause();
      let dropped = 0;
      const frame = new Uint8Array(1 << 20);
      for (let i = 0; i < 200 && dropped === 0; i++) {
        sendOrDrop(server, frame, () => dropped++, 8 << 20);
        await new Promise((r) => setImmediate(r));
      }
      expect(dropped).toBe(1);
      expect(server.bufferedAmount).toBeLessThanOrEqual(8 << 20);
      expect(server.readyState).not.toBe(WebSocket.OPEN);
    } finally {
      client.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});
