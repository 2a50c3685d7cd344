// Boots a compute process from TypeScript sources (development, tests, CLI, server mode): it
// registers tsx's loader before importing the real entry, named by its URL in argv. Bundled, the
// pool forks the .js entry directly.
import { register } from 'tsx/esm/api';

register();
await import(process.argv[2]);
