// The one file that uses ipcMain: every call goes through the core's dispatcher, and only from our
// own window's main frame.
import { dialog, ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { IPC_CHANNEL, IPC_EVENT_CHANNEL } from '../common/api.ts';
import { createDispatcher } from '../core/service/dispatcher.ts';
import type { ConvscopeService } from '../core/service/service.ts';

export const PICK_CHANNEL = 'convscope:pick';

function trusted(event: IpcMainInvokeEvent, window: BrowserWindow): boolean {
  const frame = event.senderFrame;
  return event.sender === window.webContents && frame !== null && frame === window.webContents.mainFrame && frame.url.startsWith('file://');
}

export function wireIpc(window: BrowserWindow, service: ConvscopeService): () => void {
  const dispatch = createDispatcher(service);
  ipcMain.handle(IPC_CHANNEL, (event, method: unknown, arg: unknown) => {
    if (!trusted(event, window)) return { ok: false, error: { code: 'FORBIDDEN', message: 'untrusted sender' } };
    return dispatch(method, arg);
  });
  ipcMain.handle(PICK_CHANNEL, async (event, kind: unknown) => {
    if (!trusted(event, window) || (kind !== 'model' && kind !== 'folder')) return null;
    const result = await dialog.showOpenDialog(window, kind === 'model'
      ? { title: 'Open ONNX model', properties: ['openFile'], filters: [{ name: 'ONNX models', extensions: ['onnx'] }] }
      : { title: 'Open image folder', properties: ['openDirectory'] });
    return result.canceled ? null : result.filePaths[0] ?? null;
  });
  const off = service.on((name, payload) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, name, payload);
  });
  return () => {
    off();
    ipcMain.removeHandler(IPC_CHANNEL);
    ipcMain.removeHandler(PICK_CHANNEL);
  };
}
