/**
 * A model folder from the disk: the directory picker where the browser has one (Chromium), an
 * `<input webkitdirectory>` elsewhere. The files stay on the disk; the worker reads them.
 */
export interface ModelFolder {
  name: string;
  /** By path inside the folder: `config.json`, `onnx/encoder_model_quantized.onnx`, … */
  files: Record<string, File>;
}

export type FolderProblem = 'no-config' | 'no-onnx' | null;

/** A name transformers.js can use as a model id (one path segment). */
function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-').replace(/^[-.]+/, '') || 'model';
}

interface DirectoryHandle {
  name: string;
  values(): AsyncIterable<{ kind: 'file' | 'directory'; name: string; getFile?: () => Promise<File> } & Partial<DirectoryHandle>>;
}

async function collect(dir: DirectoryHandle, prefix: string, out: Record<string, File>) {
  for await (const entry of dir.values()) {
    if (entry.kind === 'file' && entry.getFile) out[prefix + entry.name] = await entry.getFile();
    else if (entry.kind === 'directory' && entry.values) await collect(entry as DirectoryHandle, `${prefix}${entry.name}/`, out);
  }
}

export function hasDirectoryPicker(): boolean {
  return typeof (window as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';
}

/** Null when the user closed the picker. */
export async function pickWithDirectoryPicker(): Promise<ModelFolder | null> {
  try {
    const dir = (await (window as unknown as { showDirectoryPicker(o: object): Promise<DirectoryHandle> }).showDirectoryPicker({ mode: 'read' })) as DirectoryHandle;
    const files: Record<string, File> = {};
    await collect(dir, '', files);
    return { name: safeName(dir.name), files };
  } catch (err) {
    if ((err as Error).name === 'AbortError') return null;
    throw err;
  }
}

/** From an `<input webkitdirectory>`: paths come as `folder/onnx/…`. */
export function fromFileList(list: FileList | readonly File[]): ModelFolder | null {
  const all = [...list];
  if (!all.length) return null;
  const root = (all[0].webkitRelativePath || all[0].name).split('/')[0];
  const files: Record<string, File> = {};
  for (const f of all) {
    const path = (f.webkitRelativePath || f.name).split('/').slice(1).join('/') || f.name;
    files[path] = f;
  }
  return { name: safeName(root), files };
}

/** What is missing for transformers.js to load it as Whisper. */
export function folderProblem(folder: ModelFolder): FolderProblem {
  if (!folder.files['config.json']) return 'no-config';
  if (!Object.keys(folder.files).some((p) => /^onnx\/.+\.onnx$/.test(p))) return 'no-onnx';
  return null;
}
