// Which layers feed each layer: the edges of the layer graph the Model view and the report draw.
// Folded subgraphs (PyTorch's LRN, MatMul+Add, x·gate(x)) and unnamed spine tensors between layers
// are looked through, so every edge joins two layers (or the image input and a layer).
import type { GraphIndex } from './lrn.ts';
import type { NodeDesc } from './nodes.ts';

interface Linkable {
  id: string;
  nodes: string[];
}

/**
 * For each layer, in the same order, the ids of the layers (or `input`, the image input's name) whose
 * tensors it reads, in the order of its nodes' inputs. Only spine tensors count, so the shape
 * arithmetic of a Reshape is no edge.
 */
export function layerInputs(g: GraphIndex, spine: ReadonlySet<string>, layers: readonly Linkable[], input: string): string[][] {
  const ids = new Set(layers.map((l) => l.id));
  const byName = new Map<string, NodeDesc>(g.nodes.map((n) => [n.name, n]));
  const memo = new Map<string, string[]>();
  const resolve = (t: string, seen: Set<string>): string[] => {
    if (t === input || ids.has(t)) return [t];
    if (!spine.has(t) || seen.has(t)) return [];
    const hit = memo.get(t);
    if (hit) return hit;
    seen.add(t);
    const p = g.producer.get(t);
    const out = p ? unique(p.inputs.flatMap((i) => (i ? resolve(i, seen) : []))) : [];
    memo.set(t, out);
    return out;
  };
  return layers.map((l) => {
    const own = l.nodes.map((n) => byName.get(n)).filter((n): n is NodeDesc => n !== undefined);
    const made = new Set(own.flatMap((n) => n.outputs));
    const external = own.flatMap((n) => n.inputs).filter((i) => i && !made.has(i));
    return unique(external.flatMap((t) => resolve(t, new Set())));
  });
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
