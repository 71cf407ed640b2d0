/**
 * Loading a Whisper model in the worker: where files come from (model source), which device
 * and dtypes, byte-level progress per file, and errors a person can act on.
 */
import {
  AutoProcessor,
  AutoTokenizer,
  WhisperForConditionalGeneration,
  env,
  type PretrainedModelOptions,
} from '@huggingface/transformers';
// The wasm runtime ships with the app (Vite emits these files); nothing is fetched from a CDN.
import ortWasmUrl from 'ort-dist/ort-wasm-simd-threaded.jsep.wasm?url';
import ortMjsUrl from 'ort-dist/ort-wasm-simd-threaded.jsep.mjs?url';
import { chooseDtypes, defaultDtypesFor, dtypeProblem, resolveDevice, type DtypePlan } from '../../../src/domain/models/dtypes';
import * as ort from 'onnxruntime-web';
import { anyLengthEncoder, cachedStepModel } from './decoder-graph';
import { logitsFromSot } from './logits-from-sot';
import { exposeCrossAttentions } from './attention-outputs';
import type { CachedStep, LoadedWhisper } from '../whisper/model';
import { hookSessionCreate, sessionsOf } from '../whisper/transformers-adapter';
import { asrError } from '../runtime/errors';
import { loadError } from './load-errors';
import type { Capabilities, Device, Dtype, LoadProgress, LoadRequest } from '../protocol';
import { MODEL_CACHE, cachedFiles, guardFetch, keepWholeOrNothing, modelBaseUrl, modelFileExists, useSource } from './source';


// transformers.js v3 points wasmPaths at a CDN on import; point it back at our own files.
env.backends.onnx.wasm!.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href, mjs: new URL(ortMjsUrl, self.location.href).href };
// ORT's warnings (e.g. shape ops placed on CPU under WebGPU) are not actionable for users.
env.backends.onnx.logLevel = 'error';
env.allowLocalModels = false;
// transformers.js looks a file up in the cache under `localModelPath` + id first, even with local
// models off; its default `/models/` is where this site keeps its speaker models and where a
// deployer may host Whisper, so a model from another source would be taken from that copy (and
// then not be found under its own source's URLs: "not enough storage to keep it"). A path nothing
// is ever stored under: each source's files are found under their own URLs only.
env.localModelPath = '/.earshot-no-local-models/';
env.allowRemoteModels = true;
env.useBrowserCache = true;

export { asrError };

export async function capabilities(): Promise<Capabilities> {
  let webgpu = false;
  let shaderF16 = false;
  const gpu = (navigator as WorkerNavigator & { gpu?: { requestAdapter(): Promise<{ features: Set<string> } | null> } }).gpu;
  if (gpu) {
    try {
      const adapter = await gpu.requestAdapter();
      webgpu = adapter !== null;
      shaderF16 = adapter?.features.has('shader-f16') ?? false;
    } catch {
      webgpu = false;
    }
  }
  const isolated = self.crossOriginIsolated === true;
  // Two threads minimum, four at most: more rarely helps Whisper's small matrices and
  // competes with the page for cores.
  const threads = isolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  return { webgpu, shaderF16, crossOriginIsolated: isolated, threads };
}

type Loaded = { whisper: LoadedWhisper; device: Device; dtype: { encoder: Dtype; decoder: Dtype }; stored: boolean; dtypeReason: DtypePlan['reason']; crossAttentionsAdded: boolean };

/** Errors that a damaged cached file can cause (a config that is not JSON, a graph that does not parse), as opposed to the network, the device or the model source. */
const NOT_FROM_THE_CACHE = new Set(['NetworkError', 'DownloadInterrupted', 'OfflineMode', 'WebGpuUnavailable', 'OutOfMemory', 'ModelNotFound', 'NoOnnxWeights']);

/**
 * Load a Whisper model. A load that fails on files from the cache (damaged on the disk, or
 * stored by an older build) removes this model's cached files (`CacheRemoved`); the page then
 * loads it again in a fresh worker, downloading it: the user sees a load that took longer, not a
 * model that can never load again. In offline mode nothing can be fetched, so it says what is
 * wrong instead.
 */
export async function loadWhisper(request: LoadRequest, caps: Capabilities, onProgress: (p: LoadProgress) => void): Promise<Loaded> {
  guardFetch();
  useSource(request.source, !!request.offline);
  const cached = request.source.kind === 'folder' ? [] : await cachedFiles(request.modelId).catch(() => []);
  try {
    return await loadOnce(request, caps, onProgress);
  } catch (err) {
    if (cached.length === 0 || NOT_FROM_THE_CACHE.has((err as Error).name)) throw err;
    if (request.offline) {
      throw asrError('CorruptCache', `The copy of “${request.modelId}” on this device is damaged (${(err as Error).message}). Turn offline mode off to download it again.`, err);
    }
    console.warn(`Earshot: “${request.modelId}” failed to load from the cache (${(err as Error).message}); removing it to download it again.`);
    const cache = await caches.open(MODEL_CACHE);
    await Promise.all((await cachedFiles(request.modelId)).map((r) => cache.delete(r)));
    // Not loaded again here: parts of the failed load (another file's session still being
    // created) may still be running in this worker's ONNX Runtime. The page loads it again in a
    // fresh worker.
    throw asrError('CacheRemoved', `The copy of “${request.modelId}” on this device was damaged and has been removed.`, err);
  }
}

async function loadOnce(request: LoadRequest, caps: Capabilities, onProgress: (p: LoadProgress) => void): Promise<Loaded> {
  env.backends.onnx.wasm!.numThreads = Math.max(1, Math.min(request.threads ?? caps.threads, caps.threads));

  const wantedDevice = resolveDevice(request.device, caps.webgpu, request.dtype, caps.shaderF16);
  if (wantedDevice === 'webgpu' && !caps.webgpu) {
    throw asrError('WebGpuUnavailable', 'This browser has no usable WebGPU adapter. Choose WASM (CPU) instead.');
  }
  let choice: DtypePlan = { device: wantedDevice, dtype: { encoder: request.dtype as Dtype, decoder: request.dtype as Dtype }, reason: 'default' };
  if (request.dtype === 'auto') {
    const found = await chooseDtypes(wantedDevice, caps.shaderF16, (part, dtype) => modelFileExists(request.modelId, part, dtype)).catch(() => null);
    // Nothing found (a source that answers no HEAD requests, say): the device default, and the
    // load itself says which file is missing.
    choice = found ?? { device: wantedDevice, dtype: defaultDtypesFor(wantedDevice, caps.shaderF16), reason: 'default' };
  }
  const { device, dtype } = choice;
  // Said before any download: a precision this device cannot run (or runs wrongly).
  for (const d of [dtype.encoder, dtype.decoder]) {
    const problem = dtypeProblem(d, device, caps.shaderF16);
    if (problem === 'dtypeNeedsShaderF16') throw asrError('WebGpuUnavailable', `This GPU cannot run 16-bit shaders (no shader-f16), which ${d} needs. Choose fp32 or q4.`);
    if (problem === 'dtypeInt8OnWebgpu') throw asrError('DtypeUnsupported', `${d} gives wrong words on WebGPU. Choose q4 or fp32 on WebGPU, or WASM (CPU) for ${d}.`);
  }

  const progress: LoadProgress = { files: {}, phase: 'download' };
  let last = 0;
  const progress_callback = (e: { status: string; file?: string; loaded?: number; total?: number }) => {
    if (!e.file) return;
    const entry = (progress.files[e.file] ??= { loaded: 0, total: 0, done: false });
    if (e.status === 'progress') {
      entry.loaded = e.loaded ?? entry.loaded;
      entry.total = e.total ?? entry.total;
    } else if (e.status === 'done') {
      entry.done = true;
      entry.loaded = Math.max(entry.loaded, entry.total);
    }
    const now = performance.now();
    if (e.status !== 'progress' || now - last > 100) {
      last = now;
      onProgress(structuredClone(progress));
    }
  };

  try {
    // config.json first: a clear "not found" / "not Whisper" before any large download.
    const tokenizer = await AutoTokenizer.from_pretrained(request.modelId, { progress_callback });
    const processor = await AutoProcessor.from_pretrained(request.modelId, { progress_callback });
    const sot = device === 'wasm' ? tokenizer.model.tokens_to_ids.get('<|startoftranscript|>') : undefined;
    const sessions = interceptSessions(device === 'wasm' && (!request.mergedDecoder || !request.windowEncoder), sot);
    let model: WhisperForConditionalGeneration;
    try {
      model = (await WhisperForConditionalGeneration.from_pretrained(request.modelId, {
        device,
        dtype: { encoder_model: dtype.encoder, decoder_model_merged: dtype.decoder },
        progress_callback,
      } as PretrainedModelOptions)) as WhisperForConditionalGeneration;
    } finally {
      sessions.restore();
    }
    const captured = sessions.seen.length ? sessions : null;
    if ((model.config as { model_type?: string }).model_type !== 'whisper') {
      await model.dispose();
      throw asrError('NotWhisper', `“${request.modelId}” is not a Whisper model.`);
    }
    onProgress({ ...structuredClone(progress), phase: 'compile' });
    const step = captured && !request.mergedDecoder ? await createCachedStep(captured) : null;
    const anyLengthEncoder = captured && !request.windowEncoder ? await swapInAnyLengthEncoder(model, captured) : false;
    const stored = request.source.kind === 'folder' || (await keepWholeOrNothing(request.modelId, Object.keys(progress.files)).catch(() => false));
    return { whisper: { model, processor, tokenizer, step, anyLengthEncoder }, device, dtype, stored, dtypeReason: choice.reason, crossAttentionsAdded: sessions.crossAttentionsAdded };
  } catch (err) {
    if ((err as Error)?.name === 'OfflineMode') throw err;
    const named = loadError(err, request.modelId, modelBaseUrl(request.modelId), device, dtype);
    // The network went away after bytes had arrived: the download was cut, not refused.
    // transformers.js stores a file only once it is whole, so the files already stored are kept
    // and Load again fetches only the rest.
    if (named.name === 'NetworkError' && Object.values(progress.files).some((f) => f.loaded > 0)) {
      throw asrError('DownloadInterrupted', `The download of “${request.modelId}” was interrupted (${(err as Error).message}). Files already downloaded are kept; load again to fetch the rest.`, err);
    }
    throw named;
  }
}

/**
 * transformers.js creates its sessions from bytes it does not keep. While it loads, every session
 * it creates passes through here:
 * - a decoder exported without cross-attention outputs (the hub's plain repos, most people's own
 *   conversions) gets them (models/attention-outputs.ts), on every device and precision, so word
 *   timings work as with the `_timestamped` exports;
 * - with `record`, the bytes are kept (the merged decoder and the encoder are recognised by their
 *   content), so the cached step and the any-length encoder can be cut out of the same files
 *   without a second download. See decoder-graph.ts for why;
 * - with `sot` (WASM), the decoder projects onto the vocabulary only from `<|startoftranscript|>`
 *   on, not over the prompt (models/logits-from-sot.ts).
 */
function interceptSessions(record: boolean, sot?: number) {
  const state = {
    seen: [] as { bytes: Uint8Array; options: ort.InferenceSession.SessionOptions | undefined }[],
    crossAttentionsAdded: false,
    restore: () => hook.restore(),
  };
  const hook = hookSessionCreate(ort, (bytes, options) => {
    const exposed = exposeCrossAttentions(bytes);
    if (exposed) state.crossAttentionsAdded = true;
    // WASM only (not measured on WebGPU, where the slice's integer ops may fall back to the CPU).
    const out = (sot !== undefined ? logitsFromSot(exposed?.bytes ?? bytes, sot) : null) ?? exposed?.bytes ?? bytes;
    if (record) state.seen.push({ bytes: out, options });
    return out;
  });
  return state;
}

/**
 * Replace the encoder's session with the same weights taking any number of frames (bit-identical
 * on a full window; decoder-graph.ts). False when the encoder is not one that can be cut or its
 * session fails: the exported one stays.
 */
async function swapInAnyLengthEncoder(model: WhisperForConditionalGeneration, captured: ReturnType<typeof interceptSessions>): Promise<boolean> {
  const sessions = sessionsOf(model);
  const original = sessions.model;
  if (!original || original.inputNames.join() !== 'input_features') return false;
  for (const { bytes, options } of captured.seen) {
    const cut = anyLengthEncoder(bytes);
    if (!cut) continue;
    try {
      sessions.model = await ort.InferenceSession.create(cut, options);
    } catch (err) {
      console.warn('Any-length encoder unavailable; live utterances are encoded as whole 30 s windows.', err);
      return false;
    }
    await original.release().catch(() => {});
    return true;
  }
  return false;
}

async function createCachedStep(merged: ReturnType<typeof interceptSessions>): Promise<CachedStep | null> {
  for (const { bytes, options } of merged.seen) {
    const model = cachedStepModel(bytes);
    if (!model) continue;
    try {
      const session = await ort.InferenceSession.create(model.bytes, { ...options, preferredOutputLocation: undefined });
      return { session, keysTransposed: model.keysTransposed };
    } catch (err) {
      console.warn('Cached decoder step unavailable; every step runs the merged decoder.', err);
      return null;
    }
  }
  return null;
}
