/** Where the model runs, and at what precision: the pure domain's words, which the worker protocol uses. */
export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';
export type Device = 'webgpu' | 'wasm';
/** Every precision transformers.js loads (its `DATA_TYPES`), each a file suffix in a model's `onnx/`. */
export type Dtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';
export const DTYPES: readonly Dtype[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'];
export type DtypeChoice = 'auto' | Dtype;
export type ModelPart = 'encoder' | 'decoder';
export interface Dtypes {
  encoder: Dtype;
  decoder: Dtype;
}

/**
 * Per-device precision defaults. WASM: int8 everywhere (MatMulInteger is ORT-web's fastest CPU
 * path). WebGPU: the encoder is compute-bound, so full or half precision (half only where the
 * adapter has shader-f16); the decoder is memory-bound, so 4-bit weights.
 */
export function defaultDtypesFor(device: Device, shaderF16: boolean): { encoder: Dtype; decoder: Dtype } {
  if (device === 'wasm') return { encoder: 'q8', decoder: 'q8' };
  return { encoder: shaderF16 ? 'fp16' : 'fp32', decoder: 'q4' };
}

/** transformers.js's file name suffix per dtype (`onnx/encoder_model{suffix}.onnx`). */
export const DTYPE_FILE_SUFFIX: Record<Dtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', int8: '_int8', uint8: '_uint8', q4: '_q4', q4f16: '_q4f16', bnb4: '_bnb4' };

/** The dtype of an ONNX file of a model part by its path (`onnx/decoder_model_merged_q4.onnx` → decoder q4), or null. */
export function dtypeOfFile(path: string): { part: ModelPart; dtype: Dtype } | null {
  const m = /(?:^|\/)onnx\/(encoder_model|decoder_model_merged)(_[a-z0-9]+)?\.onnx$/.exec(path);
  if (!m) return null;
  const dtype = DTYPES.find((d) => DTYPE_FILE_SUFFIX[d] === (m[2] ?? ''));
  return dtype ? { part: m[1] === 'encoder_model' ? 'encoder' : 'decoder', dtype } : null;
}

/** Which dtypes a model ships, per part, from its file paths. */
export function shippedFrom(paths: Iterable<string>): Record<ModelPart, Dtype[]> {
  const out: Record<ModelPart, Dtype[]> = { encoder: [], decoder: [] };
  for (const p of paths) {
    const f = dtypeOfFile(p);
    if (f && !out[f.part].includes(f.dtype)) out[f.part].push(f.dtype);
  }
  for (const part of ['encoder', 'decoder'] as const) out[part].sort((a, b) => DTYPES.indexOf(a) - DTYPES.indexOf(b));
  return out;
}

/**
 * Why a precision cannot be used on a device (a message key), or null. Half-precision files
 * (fp16, q4f16) need WebGPU's shader-f16 there; on WASM ONNX Runtime casts them to float32, so
 * they run (half the download of fp32, none of the speed). WebGPU's int8 kernels gave wrong words
 * (tiny.en q8 wrote words that are not in the audio; the same files are right on WASM), so q8,
 * int8 and uint8 are not offered there.
 */
export function dtypeProblem(dtype: Dtype, device: Device, shaderF16: boolean): 'dtypeNeedsShaderF16' | 'dtypeInt8OnWebgpu' | null {
  if (device !== 'webgpu') return null;
  if ((dtype === 'fp16' || dtype === 'q4f16') && !shaderF16) return 'dtypeNeedsShaderF16';
  if (dtype === 'q8' || dtype === 'int8' || dtype === 'uint8') return 'dtypeInt8OnWebgpu';
  return null;
}


/**
 * What "Auto" may pick, best first, for one part of the model on one device. WebGPU never gets
 * q8: its int8 kernels gave wrong words (tiny.en q8 on WebGPU wrote words that are not in the
 * audio, the same files are right on WASM), so a model that ships only q8 runs on WASM.
 */
export function dtypePreferences(device: Device, shaderF16: boolean, part: ModelPart): Dtype[] {
  // The other quantizations come last: a model that ships only those still loads.
  if (device === 'wasm') return part === 'encoder' ? ['q8', 'fp32', 'q4', 'fp16', 'int8', 'uint8', 'bnb4', 'q4f16'] : ['q8', 'q4', 'fp32', 'fp16', 'int8', 'uint8', 'bnb4', 'q4f16'];
  const full: Dtype[] = shaderF16 ? ['fp16', 'fp32'] : ['fp32'];
  return part === 'encoder' ? full : ['q4', ...(shaderF16 ? (['q4f16'] as Dtype[]) : []), ...full, 'bnb4'];
}

export interface DtypePlan {
  device: Device;
  dtype: { encoder: Dtype; decoder: Dtype };
  /** Why it is not the device's default: the model lacks those files, or WebGPU had nothing it runs right. */
  reason: 'default' | 'model-files' | 'webgpu-unsuitable';
}

/**
 * Auto precision from what the model ships. `has(part, dtype)` says whether the file exists.
 * Tries the wanted device first; on WebGPU with nothing suitable, WASM.
 */
export async function chooseDtypes(device: Device, shaderF16: boolean, has: (part: ModelPart, dtype: Dtype) => Promise<boolean>): Promise<DtypePlan | null> {
  const pick = async (d: Device) => {
    const out: Partial<Record<ModelPart, Dtype>> = {};
    for (const part of ['encoder', 'decoder'] as const) {
      for (const dtype of dtypePreferences(d, shaderF16, part)) {
        if (await has(part, dtype)) {
          out[part] = dtype;
          break;
        }
      }
      if (!out[part]) return null;
    }
    return out as { encoder: Dtype; decoder: Dtype };
  };
  const wanted = await pick(device);
  if (wanted) {
    const def = defaultDtypesFor(device, shaderF16);
    return { device, dtype: wanted, reason: wanted.encoder === def.encoder && wanted.decoder === def.decoder ? 'default' : 'model-files' };
  }
  if (device === 'webgpu') {
    const cpu = await pick('wasm');
    if (cpu) return { device: 'wasm', dtype: cpu, reason: 'webgpu-unsuitable' };
  }
  return null;
}

/**
 * The one place that turns the user's choice into a device and dtypes (the worker when it loads,
 * the UI when it estimates a download): Auto is WebGPU where the browser has it, unless the
 * precision asked for cannot run there (`dtypeProblem`: q8 on WebGPU gives wrong words); Auto
 * precision is the device default until the model's files are known (`chooseDtypes`).
 */
export function resolveDevice(choice: DeviceChoice, webgpu: boolean, dtype: DtypeChoice = 'auto', shaderF16 = true): Device {
  if (choice !== 'auto') return choice;
  if (!webgpu) return 'wasm';
  return dtype !== 'auto' && dtypeProblem(dtype, 'webgpu', shaderF16) ? 'wasm' : 'webgpu';
}

export function plannedDtypes(device: DeviceChoice, dtype: DtypeChoice, caps: { webgpu: boolean; shaderF16: boolean }): Dtypes {
  return dtype === 'auto' ? defaultDtypesFor(resolveDevice(device, caps.webgpu, dtype, caps.shaderF16), caps.shaderF16) : { encoder: dtype, decoder: dtype };
}
