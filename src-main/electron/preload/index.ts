// Exposes exactly { invoke, subscribe, pickPath } on one channel pair; nothing of Node or Electron leaks.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import { IPC_CHANNEL, IPC_EVENT_CHANNEL, type PreloadBridge } from '../../common/api.ts';

type DroppedFile = Parameters<typeof webUtils.getPathForFile>[0];

const bridge: PreloadBridge = {
  invoke: (method, arg) => ipcRenderer.invoke(IPC_CHANNEL, method, arg),
  subscribe: (listener) => {
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown) => listener(name, payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
  },
  pickPath: (kind) => ipcRenderer.invoke('convscope:pick', kind) as Promise<string | null>,
  // Drag-and-drop of a model file: the sandboxed renderer cannot read File.path, the preload can.
  pathForFile: (file) => webUtils.getPathForFile(file as DroppedFile),
};

contextBridge.exposeInMainWorld('convscope', bridge);
