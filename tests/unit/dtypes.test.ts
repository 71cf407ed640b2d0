import { describe, expect, it } from 'vitest';
import { chooseDtypes } from '../../src/domain/models/dtypes';
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
