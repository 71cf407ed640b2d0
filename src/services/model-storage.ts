/**
 * The models kept on this device: transformers.js's Cache API store, grouped by model, with
 * sizes; deleting one; how much of the site's quota is used; persistent storage.
 */
export const MODEL_CACHE = 'transformers-cache'; // transformers.js v3's store (workers/asr/models/source.ts)

export interface StoredModel {
  /** Display id: `owner/name` on the hub or a mirror; the folder name on a custom source. */
  id: string;
  /** Where it came from (host). */
  host: string;
  /** URL prefix of its files (the cache keys). */
  prefix: string;
  files: number;
  bytes: number;
}

export interface Usage {
  used: number;
  quota: number;
  persisted: boolean;
}

/** `…/owner/name/resolve/main/onnx/x.onnx` → prefix `…/owner/name/resolve/main/`, id `owner/name`. */
export function modelOfUrl(url: string): { id: string; host: string; prefix: string } {
  const u = new URL(url);
  const path = u.pathname;
  const hub = /^\/(.+?)\/resolve\/[^/]+\//.exec(path);
  if (hub) return { id: decodeURIComponent(hub[1]), host: u.host, prefix: `${u.origin}${hub[0]}` };
  // Custom source `{base}/{model}/{file}`: files sit in the model folder or its `onnx/`.
  const dir = path.replace(/\/onnx\/[^/]+$/, '/').replace(/[^/]+$/, '');
  const id = decodeURIComponent(dir.replace(/\/$/, '').split('/').pop() ?? dir);
  return { id, host: u.host, prefix: `${u.origin}${dir}` };
}

export async function listStoredModels(): Promise<StoredModel[]> {
  if (typeof caches === 'undefined' || !(await caches.has(MODEL_CACHE))) return [];
  const cache = await caches.open(MODEL_CACHE);
  const models = new Map<string, StoredModel>();
  for (const request of await cache.keys()) {
    const m = modelOfUrl(request.url);
    const entry = models.get(m.prefix) ?? { ...m, files: 0, bytes: 0 };
    const response = await cache.match(request);
    const length = Number(response?.headers.get('content-length'));
    // Cached bodies are on disk; a Blob's size is known without reading it.
    entry.bytes += Number.isFinite(length) && length > 0 ? length : ((await response?.blob())?.size ?? 0);
    entry.files++;
    models.set(m.prefix, entry);
  }
  return [...models.values()].sort((a, b) => b.bytes - a.bytes);
}

export async function deleteStoredModel(prefix: string): Promise<void> {
  const cache = await caches.open(MODEL_CACHE);
  const keys = (await cache.keys()).filter((r) => r.url.startsWith(prefix));
  await Promise.all(keys.map((k) => cache.delete(k)));
}

/** Is a model (by id, at any source) fully on this device? Used to skip the quota warning. */
export async function isStored(modelId: string): Promise<boolean> {
  return (await listStoredModels()).some((m) => m.id === modelId || m.prefix.includes(`/${modelId}/`));
}

export async function usage(): Promise<Usage | null> {
  if (!navigator.storage?.estimate) return null;
  const e = await navigator.storage.estimate();
  return { used: e.usage ?? 0, quota: e.quota ?? 0, persisted: (await navigator.storage.persisted?.()) ?? false };
}

/** Ask the browser not to evict our data under storage pressure (it may say no). */
export async function requestPersistence(): Promise<boolean> {
  try {
    return (await navigator.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}
