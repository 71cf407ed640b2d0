/**
 * What went wrong while loading a model, named so the page can say what to do (the `name` of the
 * error is an `AsrErrorName`): ONNX Runtime's, transformers.js's and the network's messages mapped
 * to the few cases a person can act on.
 */
import type { Device, Dtypes } from '../../../src/domain/models/dtypes';
import { asrError } from '../runtime/errors';

/** ONNX Runtime's and the JS engine's words for an allocation that failed (the WASM heap could not grow, an ArrayBuffer was refused). */
const OUT_OF_MEMORY = /out of memory|\bOOM\b|failed to allocate|allocation failed|bad_alloc|could not allocate|Maximum memory size/i;

/**
 * An allocation failure during a job, named so the page can suggest a smaller model or
 * precision (and start a fresh worker: the heap may be left fragmented); null for any other error.
 */
export function outOfMemory(err: unknown): Error | null {
  const message = err instanceof Error ? err.message : String(err);
  return OUT_OF_MEMORY.test(message) ? asrError('OutOfMemory', `Not enough memory: ${message}`, err) : null;
}

/**
 * A load failure as the page shows it. An operator with no kernel on the device (e.g. the hub's
 * `_int8` encoders: `quantize_dynamic` with signed int8 weights turns the first Conv into a
 * ConvInteger ONNX Runtime implements only for uint8, microsoft/onnxruntime#15888) is the
 * precision's fault, not the model's: say which precision and what to pick instead.
 */
export function loadError(err: unknown, modelId: string, baseUrl: string, device: Device, dtype: Dtypes): Error {
  const message = err instanceof Error ? err.message : String(err);
  const op = /Could not find an implementation for (\w+)/i.exec(message)?.[1];
  if (op) {
    const which = dtype.encoder === dtype.decoder ? dtype.encoder : `${dtype.encoder}/${dtype.decoder}`;
    return asrError('DtypeNoKernel', `“${modelId}” in ${which} uses ${op}, which ONNX Runtime cannot run on ${device === 'wasm' ? 'WASM' : 'WebGPU'}. Choose Auto or another precision.`, err);
  }
  if (err instanceof Error && ['ModelNotFound', 'NotAModelSource', 'NoOnnxWeights', 'NotWhisper', 'WebGpuUnavailable'].includes(err.name)) return err;
  if (err instanceof SyntaxError || /Unexpected token|is not valid JSON/i.test(message)) {
    return asrError('NotAModelSource', `That address did not return a model's config.json (${baseUrl}config.json gave something else, e.g. a web page). Check the model source's base URL.`, err);
  }
  if (/Could not locate file/i.test(message)) {
    if (/\/onnx\//.test(message)) {
      return asrError('NoOnnxWeights', `“${modelId}” has no ONNX weights for the chosen precision (${message.match(/onnx\/[^"]+/)?.[0] ?? ''}). Pick another precision or a model converted for transformers.js.`, err);
    }
    return asrError('ModelNotFound', `No model “${modelId}” at this model source. Check the id and the model source.`, err);
  }
  if (err instanceof TypeError || /Failed to fetch|NetworkError|network/i.test(message)) {
    return asrError('NetworkError', `Could not reach the model source to download “${modelId}”. Are you offline?`, err);
  }
  if (OUT_OF_MEMORY.test(message) || /memory|allocation/i.test(message)) {
    return asrError('OutOfMemory', `Not enough memory to load “${modelId}”. Try a smaller model or a lower precision.`, err);
  }
  return asrError('Unknown', `Could not load “${modelId}”: ${message}`, err);
}

