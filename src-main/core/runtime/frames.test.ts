// The runtime pipe's framing: any structured-cloneable message survives, however the stream is cut.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../onnx/index.ts';
import { decodeFrame, encodeFrame, FrameReader } from './frames.ts';

function message(seed: number) {
  const rand = seededRandom(seed);
  const big = new Float32Array(5000).map(() => rand() - 0.5);
  // A view that starts 4 bytes into its buffer: offsets must survive.
  const backing = new Int32Array(3001).map((_, i) => i - 1500);
  return {
    id: seed,
    ok: true,
    value: {
      logits: { dims: [1, 10], type: 'float32', data: Float32Array.from({ length: 10 }, () => rand()) },
      big: { dims: [5000], data: big },
      offset: new Int32Array(backing.buffer, 4, 3000),
      i64: BigInt64Array.from({ length: 700 }, (_, i) => BigInt(i) * 10_000_000_000n - 3n),
      u8: new Uint8Array(10_000).map((_, i) => i & 255),
      f64: Float64Array.of(Math.PI, -0),
      nested: [[1, 'two', null, true], { deep: new Uint16Array([1, 2, 65535]) }],
      map: new Map<string, unknown>([['w', { dims: [2n, 3n], rawData: new Uint8Array(24).fill(7) }], ['b', new Float32Array(2048)]]),
      bigint: 2n ** 63n - 1n,
      text: 'ünïcode ✓',
    },
  };
}

function concat(parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

describe('runtime frames', () => {
  it('round-trips maps, bigints, nested values and typed arrays of every size and offset', () => {
    const m = message(1);
    const back = decodeFrame(concat(encodeFrame(m)));
    expect(back).toEqual(m);
    const v = (back as typeof m).value;
    expect(v.offset).toBeInstanceOf(Int32Array);
    expect(Array.from(v.offset.subarray(0, 3))).toEqual([-1499, -1498, -1497]);
    expect(v.map.get('w')).toEqual({ dims: [2n, 3n], rawData: new Uint8Array(24).fill(7) });
  });

  it('writes large arrays from their own memory and reads them as views of the frame (no copies)', () => {
    const m = message(2);
    const parts = encodeFrame(m);
    expect(parts.some((p) => p.buffer === m.value.big.data.buffer)).toBe(true);
    const frame = concat(parts);
    const back = decodeFrame(frame) as typeof m;
    expect(back.value.big.data.buffer).toBe(frame.buffer);
    expect(back.value.big.data).toEqual(m.value.big.data);
  });

  it('reassembles frames from a stream cut anywhere, several frames per chunk included', () => {
    const messages = [message(3), { id: 4, ok: false, error: { code: 'INTERNAL', message: 'x' } }, message(5), { id: 6, ok: true, value: null }];
    const stream = concat(messages.flatMap((m) => encodeFrame(m)));
    for (const cut of [1, 3, 7, 64, 4096, 65536, stream.length]) {
      const got: unknown[] = [];
      const reader = new FrameReader((m) => got.push(m));
      for (let at = 0; at < stream.length; at += cut) reader.push(stream.subarray(at, at + cut));
      expect(got).toEqual(messages);
    }
    // Random cuts.
    const rand = seededRandom(9);
    const got: unknown[] = [];
    const reader = new FrameReader((m) => got.push(m));
    for (let at = 0; at < stream.length; ) {
      const n = 1 + Math.floor(rand() * 9000);
      reader.push(stream.subarray(at, at + n));
      at += n;
    }
    expect(got).toEqual(messages);
  });

  it('refuses damaged frames with a message instead of returning garbage', () => {
    const frame = concat(encodeFrame(message(7)));
    expect(() => decodeFrame(frame.subarray(0, frame.length - 100))).toThrow(/truncated/);
    const badHeader = Buffer.from(frame);
    badHeader.writeUInt32LE(frame.length, 4);
    expect(() => decodeFrame(badHeader)).toThrow(/truncated/);
    const reader = new FrameReader(() => {});
    expect(() => reader.push(Buffer.from([1, 0, 0, 0, 0]))).toThrow(/bad frame length/);
  });
});
