/** Where the model runs, and at what precision: the pure domain's words, which the worker protocol uses. */
export type DeviceChoice = 'auto' | 'webgpu' | 'wasm';
export type Device = 'webgpu' | 'wasm';
export type Dtype = 'fp32' | 'fp16' | 'q8' | 'q4';
export type DtypeChoice = 'auto' | Dtype;
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
export const DTYPE_FILE_SUFFIX: Record<Dtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4' };

export type ModelPart = 'encoder' | 'decoder';

/**
 * What "Auto" may pick, best first, for one part of the model on one device. WebGPU never gets
 * q8: its int8 kernels gave wrong words (tiny.en q8 on WebGPU wrote words that are not in the
 * audio, the same files are right on WASM), so a model that ships only q8 runs on WASM.
 */
export function dtypePreferences(device: Device, shaderF16: boolean, part: ModelPart): Dtype[] {
  if (device === 'wasm') return part === 'encoder' ? ['q8', 'fp32', 'q4', 'fp16'] : ['q8', 'q4', 'fp32', 'fp16'];
  const full: Dtype[] = shaderF16 ? ['fp16', 'fp32'] : ['fp32'];
  return part === 'encoder' ? full : ['q4', ...full];
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
 * the UI when it estimates a download): Auto is WebGPU where the browser has it; Auto precision
 * is the device default until the model's files are known (`chooseDtypes`).
 */
export function resolveDevice(choice: DeviceChoice, webgpu: boolean): Device {
  return choice === 'auto' ? (webgpu ? 'webgpu' : 'wasm') : choice;
}

export function plannedDtypes(device: DeviceChoice, dtype: DtypeChoice, caps: { webgpu: boolean; shaderF16: boolean }): Dtypes {
  return dtype === 'auto' ? defaultDtypesFor(resolveDevice(device, caps.webgpu), caps.shaderF16) : { encoder: dtype, decoder: dtype };
}
