/**
 * Where a model's files come from and what this device keeps of them: the source transformers.js
 * fetches from (Hugging Face, its mirror, a self-hosted base, or a folder picked from the disk,
 * answered from the disk), offline mode enforced on the worker's `fetch`, and the model cache
 * (Cache Storage) checked after a load.
 */
import { env } from '@huggingface/transformers';
import { DTYPE_FILE_SUFFIX, type ModelPart } from '../../../src/domain/models/dtypes';
import { asrError } from '../runtime/errors';
import type { Dtype, ModelSource } from '../protocol';

const HF_HOST = 'https://huggingface.co/';
const HF_MIRROR_HOST = 'https://hf-mirror.com/';

/**
 * Offline mode, enforced where the requests start: transformers.js looks in its cache first and
 * fetches only what is missing, so with this guard a model already on the device loads and
 * anything else fails with a clear error — no request leaves for another origin. (The service
 * worker refuses them too, for anything else on the page.)
 */
let offline = false;
/** The files of a model folder picked from the disk, served under `FOLDER_HOST` (see `configureSource`). */
let folderFiles: Record<string, File> | null = null;
const FOLDER_HOST = `${self.location.origin}/__earshot_folder__/`;
let networkFetch: typeof fetch | null = null;

/**
 * The guard wraps the worker's `fetch` (what transformers.js calls) once, at the first load —
 * not when this module is imported, so importing it changes nothing.
 */
export function guardFetch() {
  if (networkFetch) return;
  const network = (networkFetch = self.fetch.bind(self));
  self.fetch = (input: RequestInfo | URL, init?: RequestInit) => guardedFetch(network, input, init);
}

function guardedFetch(network: typeof fetch, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : String(input), self.location.href);
  if (url.href.startsWith(FOLDER_HOST)) {
    // A folder model never touches the network: its files are answered from the disk.
    const path = decodeURIComponent(url.pathname.slice(new URL(FOLDER_HOST).pathname.length)).split('/').slice(1).join('/');
    const file = folderFiles?.[path];
    const body = init?.method === 'HEAD' ? null : file;
    return Promise.resolve(file ? new Response(body, { status: 200, headers: { 'content-length': String(file.size) } }) : new Response(null, { status: 404 }));
  }
  if (offline && url.origin !== self.location.origin) {
    return Promise.reject(asrError('OfflineMode', `Offline mode is on: not connecting to ${url.host}. Only models already on this device can be loaded.`));
  }
  return network(input, init);
}

/** Point transformers.js at a source (and set offline mode) for the next load. */
export function useSource(source: ModelSource, offlineMode: boolean) {
  offline = offlineMode;
  folderFiles = source.kind === 'folder' ? source.files : null;
  // A folder is already on the disk: copying it into the Cache Storage would only double it.
  env.useBrowserCache = source.kind !== 'folder';
  if (source.kind === 'folder') {
    env.remoteHost = FOLDER_HOST;
    env.remotePathTemplate = '{model}/';
  } else if (source.kind === 'custom') {
    const base = source.baseUrl.endsWith('/') ? source.baseUrl : `${source.baseUrl}/`;
    env.remoteHost = new URL(base, self.location.href).href;
    env.remotePathTemplate = '{model}/';
  } else {
    env.remoteHost = source.kind === 'hf-mirror' ? HF_MIRROR_HOST : HF_HOST;
    env.remotePathTemplate = '{model}/resolve/{revision}/';
  }
}

/** Where transformers.js fetches (and caches) this model's files. */
export function modelBaseUrl(modelId: string): string {
  return `${env.remoteHost}${env.remotePathTemplate.replace('{model}', modelId).replaceAll('{revision}', 'main')}`;
}

/** transformers.js's Cache API store (its default name in v3). */
export const MODEL_CACHE = 'transformers-cache';

/**
 * After a load: is every file of the model in the cache? transformers.js only logs a warning
 * when storing fails (quota exceeded), so check, and if the model is only partly stored, remove
 * the part: a half-kept model would fail offline later, and only wastes space now.
 */
export async function keepWholeOrNothing(modelId: string, files: string[]): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  const cache = await caches.open(MODEL_CACHE);
  const base = modelBaseUrl(modelId);
  const urls = files.map((f) => new URL(f, base).href);
  const present = await Promise.all(urls.map((u) => cache.match(u).then((r) => !!r)));
  if (present.every(Boolean)) return true;
  await Promise.all(urls.filter((_, i) => present[i]).map((u) => cache.delete(u)));
  return false;
}

/**
 * Whether the model ships one ONNX file, for Auto precision: this device's cache first (offline
 * works), then a HEAD request to the model source.
 */
export async function modelFileExists(modelId: string, part: ModelPart, dtype: Dtype): Promise<boolean> {
  const name = part === 'encoder' ? 'encoder_model' : 'decoder_model_merged';
  const url = new URL(`onnx/${name}${DTYPE_FILE_SUFFIX[dtype]}.onnx`, modelBaseUrl(modelId)).href;
  if (typeof caches !== 'undefined' && (await (await caches.open(MODEL_CACHE)).match(url))) return true;
  if (offline && new URL(url).origin !== self.location.origin) return false;
  try {
    return (await fetch(url, { method: 'HEAD' })).ok;
  } catch {
    return false;
  }
}

/** This model's files in the model cache (by URL prefix). */
export async function cachedFiles(modelId: string): Promise<Request[]> {
  if (typeof caches === 'undefined') return [];
  const base = modelBaseUrl(modelId);
  const cache = await caches.open(MODEL_CACHE);
  return (await cache.keys()).filter((r) => r.url.startsWith(base));
}

