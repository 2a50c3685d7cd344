// Checks of a model's preprocessing against what its graph shows (issue 14: defaults are guessed,
// so say where the graph contradicts them). Exporters often bake normalisation into the model
// (Keras Rescaling/Normalization layers, torchvision's transform_input, Caffe mean subtraction);
// applying ImageNet mean/std before it normalises twice, and every figure is then quietly wrong.
import type { Preprocessing } from '../../common/types.ts';
import type { GraphSummary } from '../onnx/graph.ts';
import { tensorToNumbers } from '../onnx/tensor.ts';

/** Ops that only move or retype the input; the first real op is looked for behind them. */
const LAYOUT_ONLY = new Set(['Transpose', 'Cast', 'Identity']);
const ARITHMETIC = new Set(['Sub', 'Add', 'Mul', 'Div']);

const fmt = (v: number) => (Math.abs(v) >= 10 ? v.toFixed(1) : Math.abs(v) >= 0.1 ? v.toFixed(3) : v.toPrecision(3));

function valuesText(values: number[]): string {
  const shown = values.slice(0, 4).map(fmt).join(', ');
  return values.length === 1 ? shown : `[${shown}${values.length > 4 ? ', …' : ''}]`;
}

/** The first node after the image input that is not layout-only, if the path there is unbranched. */
function firstRealNode(g: GraphSummary): GraphSummary['nodes'][number] | null {
  let tensor = g.input.name;
  for (let hops = 0; hops < 8; hops++) {
    const consumers = g.nodes.filter((n) => n.inputs.includes(tensor));
    if (consumers.length !== 1) return null;
    const n = consumers[0];
    if (!LAYOUT_ONLY.has(n.op)) return n;
    tensor = n.outputs[0];
  }
  return null;
}

/**
 * Plain-word notes where `p` and the graph disagree; empty when nothing contradicts `p`. Each note
 * names the node and says what to set.
 */
export function preprocessingHints(g: GraphSummary, p: Preprocessing): string[] {
  const hints: string[] = [];
  const normalised = p.mean.some((m) => m !== 0) || p.std.some((s) => s !== 1);
  const n = firstRealNode(g);
  if (n && ARITHMETIC.has(n.op)) {
    const constant = n.inputs.map((i) => g.initializers.get(i)).find((t) => t !== undefined);
    const values = constant ? tensorToNumbers(constant) : null;
    if (values && values.length > 0 && values.length <= 4) {
      const big = values.some((v) => Math.abs(v) > 2);
      // Sub/Add of a large constant, Div by a large one, Mul by a small one: the model takes 0–255 pixels.
      const takes255 = ((n.op === 'Sub' || n.op === 'Add') && big) || (n.op === 'Div' && values.every((v) => Math.abs(v) > 2)) || (n.op === 'Mul' && values.every((v) => Math.abs(v) < 0.05));
      const what = `node "${n.name}" (${n.op} ${valuesText(values)})`;
      if (takes255 && (normalised || p.scale !== 1)) {
        hints.push(`The model normalises its own input (${what}), so it likely expects raw pixel values 0–255: set scale 1, mean 0 and std 1, or it is normalised twice.`);
      } else if (!takes255 && normalised && (n.op === 'Sub' || n.op === 'Add')) {
        hints.push(`The model subtracts its own mean (${what}), so it likely expects pixel values 0–1: set scale 255, mean 0 and std 1, or it is normalised twice.`);
      }
    }
  } else if (n && n.op === 'BatchNormalization' && normalised) {
    hints.push(`The model normalises its own input (node "${n.name}" (BatchNormalization)): mean and std in the preprocessing likely normalise it twice; check them against the model's training.`);
  }
  return hints;
}
