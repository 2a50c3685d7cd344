// Deterministic weights for built test models.

/** mulberry32: tiny, fast, and the same sequence on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function draw(rnd: () => number, dims: number[], scale: number): Float32Array {
  const out = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < out.length; i++) out[i] = (rnd() * 2 - 1) * scale;
  return out;
}
