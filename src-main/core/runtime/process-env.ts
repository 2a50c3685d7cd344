// The environment the runtime process starts with, whichever way it is started (launch-node.ts,
// electron/runtime-process.ts).

/**
 * glibc serves allocations below its mmap threshold from heaps that are rarely given back, and it
 * raises that threshold (up to 32 MB) each time a large block is freed. onnxruntime's kernels and
 * its arenas then leave hundreds of MB resident after a model is closed. A fixed 1 MB threshold puts
 * every large block in its own mapping, returned when freed. Measured on 2 cores, CPU: VGG11 (531 MB)
 * opened, 10 projections, closed: 486 MB resident after → 136 MB (the demo model alone: 132 MB);
 * resident with ZF open and projecting 904 → 500 MB; click times unchanged (ZF 12.5 ms, ResNet18
 * 20 ms, VGG11 63–70 ms). Ignored where the C library is not glibc; a value set by the user wins.
 */
const MMAP_THRESHOLD = String(1024 * 1024);

export function runtimeEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, FORCE_COLOR: '0', NODE_OPTIONS: '', MALLOC_MMAP_THRESHOLD_: base.MALLOC_MMAP_THRESHOLD_ ?? MMAP_THRESHOLD };
}
