import type { Device, Dtype } from '../../../workers/asr/protocol';

/**
 * Per-device precision defaults. WASM: int8 everywhere (MatMulInteger is ORT-web's fastest CPU
 * path). WebGPU: the encoder is compute-bound, so full or half precision (half only where the
 * adapter has shader-f16); the decoder is memory-bound, so 4-bit weights.
 */
export function defaultDtypesFor(device: Device, shaderF16: boolean): { encoder: Dtype; decoder: Dtype } {
  if (device === 'wasm') return { encoder: 'q8', decoder: 'q8' };
  return { encoder: shaderF16 ? 'fp16' : 'fp32', decoder: 'q4' };
}
