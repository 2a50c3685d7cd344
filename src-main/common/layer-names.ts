// How a layer is named to people, in the views, the Model graph and the report alike: one rule.

/**
 * A shorter name for a layer's tensor, for tables: PyTorch's exported names repeat the module path
 * and end in `_output_0` (`/features/features.0/Conv_output_0` → `features.0/Conv`).
 */
export function shortLayerName(id: string): string {
  const parts = id.replace(/^\/+/, '').replace(/_output_\d+$/, '').split('/').filter(Boolean);
  const kept = parts.filter((p, i) => !(i + 1 < parts.length && parts[i + 1].startsWith(`${p}.`)));
  return kept.join('/') || id;
}

/**
 * One name for a layer across the views: a view asked for a conv layer reads its map after the ReLU
 * (DESIGN §3), and says both — `conv5/Conv after its ReLU: relu5/Relu` — where the Layers view,
 * which shows tensors as they are, says `relu5/Relu`.
 */
export function readLayerName(asked: string, read: string): string {
  return asked === read ? shortLayerName(read) : `${shortLayerName(asked)} after its ReLU: ${shortLayerName(read)}`;
}
