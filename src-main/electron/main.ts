// Electron main process: a thin shell. It routes messages between the window and the core; the
// sessions themselves run in a utility process (runtime-process.ts), never on this thread.
import { app } from 'electron';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createService } from '../core/service/service.ts';
import { defaultPaths } from '../core/model/resources.ts';
import { wireIpc } from './ipc.ts';
import { utilityRuntimeHost } from './runtime-process.ts';
import { createMainWindow, hardenSession } from './window.ts';

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  args: process.argv.slice(app.isPackaged ? 1 : 2),
  options: { model: { type: 'string' }, images: { type: 'string' }, provider: { type: 'string' } },
  strict: false,
  allowPositionals: true,
});

app.enableSandbox();
app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
});

async function start(): Promise<void> {
  await app.whenReady();
  hardenSession();
  const provider = (['auto', 'cpu', 'cuda'].includes(String(values.provider)) ? values.provider : 'auto') as 'auto' | 'cpu' | 'cuda';
  const service = createService({ shell: 'electron', provider, host: utilityRuntimeHost() });
  const defaults = defaultPaths();
  const model = typeof values.model === 'string' ? values.model : defaults.model;
  const images = typeof values.images === 'string' ? values.images : defaults.images;
  await service.openModel({ path: model }).catch((e: Error) => service.addNotice(`Could not open model ${model}: ${e.message}`));
  await service.openFolder({ path: images }).catch((e: Error) => service.addNotice(`Could not open folder ${images}: ${e.message}`));
  const window = createMainWindow(outDir);
  const unwire = wireIpc(window, service);
  window.on('closed', () => {
    unwire();
    void service.close();
  });
  app.on('window-all-closed', () => app.quit());
}

void start();
