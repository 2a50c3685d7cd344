// Convscope's own folder for what it keeps between runs (scan caches, sidecars it could not put
// beside a model): $CONVSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/convscope, else ~/.cache/convscope.
import os from 'node:os';
import path from 'node:path';

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CONVSCOPE_CACHE_DIR) return path.resolve(env.CONVSCOPE_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(path.resolve(env.XDG_CACHE_HOME), 'convscope');
  return path.join(os.homedir(), '.cache', 'convscope');
}
