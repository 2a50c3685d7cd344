// Strings a request supplied, as messages quote them: a 1,000-character layer name or a 4,096-character
// path must not turn an error message into a wall of text. Every message that echoes a layer name,
// path or other string from a request goes through `truncateText` (or `quoted`).

/** How much of a user-supplied string a message shows. */
export const ECHO_MAX = 100;

/**
 * `s` cut to at most `max` characters with its middle replaced by "…": both ends say the most about a
 * path (its folder, its file) or an ONNX tensor name (its module, its op). Never splits a surrogate pair.
 */
export function truncateText(s: string, max = ECHO_MAX): string {
  if (s.length <= max) return s;
  const points = Array.from(s);
  if (points.length <= max) return s;
  const keep = Math.max(1, max - 1);
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return `${points.slice(0, head).join('')}…${tail ? points.slice(points.length - tail).join('') : ''}`;
}

/** `s` truncated and in double quotes, as messages name layers: `layer "conv1"`. */
export function quoted(s: string, max = ECHO_MAX): string {
  return `"${truncateText(s, max)}"`;
}
