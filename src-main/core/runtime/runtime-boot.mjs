// Boots the runtime process from TypeScript sources (development, tests, CLI, server mode): it
// registers tsx's loader before importing the real entry. The bundled app starts runtime-main.js directly.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./runtime-main.ts', import.meta.url).href);
