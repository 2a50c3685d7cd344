// How the runtime process creates onnxruntime sessions.
import { EXTERNAL_FOLDER_OPTION } from '../onnx/index.ts';

/** Its warnings are ANSI-coloured lines on stderr; errors reach the user as messages instead. */
const SESSION_LOG = { logSeverityLevel: 3 as const, logVerbosityLevel: 0 };

const NO_SPIN = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };

/**
 * Options of the sessions this process creates. Their threads do not spin-wait after a run
 * (onnxruntime's default is to spin): the model's session, its switches graph and the compiled
 * reverse paths run one after another, and the spinning threads of one held both cores under the
 * next. Measured on 2 cores (ZF, 249 MB): a click 18.0 → 10.7 ms, a pass that computes the switches
 * 33 → 19 ms. A session alone does lose by it (VGG11's pass alone: about 15% slower), so
 * CONVSCOPE_ORT_SPIN=model lets the model's session spin, =all every session.
 */
export function sessionOptions(role: 'model' | 'helper', externalFolder?: string) {
  const spin = process.env.CONVSCOPE_ORT_SPIN;
  const spins = spin === 'all' || (spin === 'model' && role === 'model');
  const session: Record<string, unknown> = spins ? {} : { ...NO_SPIN.session };
  // A model given as bytes whose weights are references into its file (onnx/weights-by-reference.ts).
  if (externalFolder !== undefined) session[EXTERNAL_FOLDER_OPTION] = externalFolder;
  return Object.keys(session).length ? { ...SESSION_LOG, extra: { session } } : { ...SESSION_LOG };
}
