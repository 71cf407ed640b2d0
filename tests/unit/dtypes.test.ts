import { describe, expect, it } from 'vitest';
import { DTYPES, chooseDtypes, dtypeOfFile, dtypeProblem, shippedFrom } from '../../src/domain/models/dtypes';
import type { Dtype } from '../../workers/asr/protocol';

const ships = (files: Record<'encoder' | 'decoder', Dtype[]>) => async (part: 'encoder' | 'decoder', dtype: Dtype) => files[part].includes(dtype);

describe('Auto precision picks what the model ships', () => {
  it('uses the device default when the files are there', async () => {
    expect(await chooseDtypes('wasm', false, ships({ encoder: ['fp32', 'q8'], decoder: ['q8'] }))).toEqual({ device: 'wasm', dtype: { encoder: 'q8', decoder: 'q8' }, reason: 'default' });
    expect(await chooseDtypes('webgpu', true, ships({ encoder: ['fp16', 'fp32'], decoder: ['q4', 'fp16'] }))).toEqual({ device: 'webgpu', dtype: { encoder: 'fp16', decoder: 'q4' }, reason: 'default' });
  });
  it('falls back to the best dtype the model has, and says so', async () => {
    // No q4 decoder: fp32 on a GPU without shader-f16.
    expect(await chooseDtypes('webgpu', false, ships({ encoder: ['fp32', 'q8'], decoder: ['fp32', 'q8'] }))).toEqual({ device: 'webgpu', dtype: { encoder: 'fp32', decoder: 'fp32' }, reason: 'model-files' });
    expect(await chooseDtypes('wasm', false, ships({ encoder: ['fp32'], decoder: ['q4'] }))).toEqual({ device: 'wasm', dtype: { encoder: 'fp32', decoder: 'q4' }, reason: 'model-files' });
  });
  it('never picks q8 on WebGPU: a q8-only decoder runs on WASM, with the reason', async () => {
    // whisper-tiny.en as ../shared ships it: encoder fp32 + q8, decoder q8 only.
    expect(await chooseDtypes('webgpu', false, ships({ encoder: ['fp32', 'q8'], decoder: ['q8'] }))).toEqual({ device: 'wasm', dtype: { encoder: 'q8', decoder: 'q8' }, reason: 'webgpu-unsuitable' });
  });
  it('gives up when a part has no file at all', async () => {
    expect(await chooseDtypes('wasm', false, ships({ encoder: ['q8'], decoder: [] }))).toBeNull();
  });
});

describe('the precisions a model ships, and where each runs', () => {
  it('reads every transformers.js dtype from the hub’s file names, per part', () => {
    const files = [
      'config.json',
      'onnx/encoder_model.onnx',
      'onnx/encoder_model_fp16.onnx',
      'onnx/encoder_model_q4f16.onnx',
      'onnx/encoder_model_bnb4.onnx',
      'onnx/decoder_model_merged_quantized.onnx',
      'onnx/decoder_model_merged_int8.onnx',
      'onnx/decoder_model_merged_uint8.onnx',
      'onnx/decoder_model_merged_q4.onnx',
      'onnx/decoder_model_merged.onnx_data',
      'onnx/decoder_model.onnx', // not merged: transformers.js does not load it for Whisper
      'onnx/encoder_model_q5.onnx', // no such dtype
    ];
    expect(shippedFrom(files)).toEqual({ encoder: ['fp32', 'fp16', 'q4f16', 'bnb4'], decoder: ['q8', 'int8', 'uint8', 'q4'] });
    expect(dtypeOfFile('whisper-base/onnx/decoder_model_merged_bnb4.onnx')).toEqual({ part: 'decoder', dtype: 'bnb4' });
    expect(dtypeOfFile('onnx/encoder_model_fp16.onnx_data')).toBeNull();
  });
  it('keeps int8 kernels off WebGPU and half precision off GPUs without shader-f16; WASM runs every file', () => {
    for (const d of DTYPES) expect(dtypeProblem(d, 'wasm', false)).toBeNull();
    expect(DTYPES.filter((d) => dtypeProblem(d, 'webgpu', true) === null)).toEqual(['fp32', 'fp16', 'q4', 'q4f16', 'bnb4']);
    expect(DTYPES.filter((d) => dtypeProblem(d, 'webgpu', false) === null)).toEqual(['fp32', 'q4', 'bnb4']);
    expect(dtypeProblem('fp16', 'webgpu', false)).toBe('dtypeNeedsShaderF16');
    expect(dtypeProblem('uint8', 'webgpu', true)).toBe('dtypeInt8OnWebgpu');
  });
  it('Auto loads a model that ships only the other quantizations', async () => {
    expect(await chooseDtypes('wasm', false, ships({ encoder: ['uint8'], decoder: ['bnb4'] }))).toEqual({ device: 'wasm', dtype: { encoder: 'uint8', decoder: 'bnb4' }, reason: 'model-files' });
    expect(await chooseDtypes('webgpu', true, ships({ encoder: ['fp16'], decoder: ['q4f16'] }))).toEqual({ device: 'webgpu', dtype: { encoder: 'fp16', decoder: 'q4f16' }, reason: 'model-files' });
  });
});
