import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { maxDiff } from '../fixtures/tensors';
import { anyLengthEncoder, cachedStepModel } from '../../workers/asr/models/decoder-graph';

const MODEL = '../shared/models/whisper-tiny.en';
const have = existsSync(`${MODEL}/onnx/decoder_model_merged_quantized.onnx`);
if (!have) console.warn(`decoder-graph tests skipped: ${MODEL} is missing (see ../shared/README.md)`);

/** Deterministic pseudo-random floats, so a failure can be re-run as it was. */
function floats(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * scale;
  });
}

/** [b, h, t, d] → [b, h, d, t] */
function transpose(t: ort.Tensor): ort.Tensor {
  const [b, h, frames, dim] = t.dims as number[];
  const src = t.data as Float32Array;
  const dst = new Float32Array(src.length);
  for (let m = 0; m < b * h; m++) for (let f = 0; f < frames; f++) for (let d = 0; d < dim; d++) dst[m * frames * dim + d * frames + f] = src[m * frames * dim + f * dim + d];
  return new ort.Tensor('float32', dst, [b, h, dim, frames]);
}


describe.skipIf(!have)('the cached decoder step cut out of the merged decoder', () => {
  const bytes = have ? new Uint8Array(readFileSync(`${MODEL}/onnx/decoder_model_merged_quantized.onnx`)) : new Uint8Array();
  const config = have ? JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8')) : {};
  const layers: number = config.decoder_layers;
  const heads: number = config.decoder_attention_heads;
  const dim: number = config.d_model / heads;
  const frames = 1500;

  it('is found, keeps the weights and drops the encoder side', () => {
    const step = cachedStepModel(bytes)!;
    expect(step).not.toBeNull();
    expect(step.keysTransposed).toBe(true);
    expect(step.outputs).toContain('logits');
    expect(step.outputs.filter((o) => o.includes('.encoder.'))).toEqual([]);
    expect(step.outputs.filter((o) => /^present\.\d+\.decoder\.(key|value)$/.test(o))).toHaveLength(2 * layers);
    // The weights are most of the file; the merged decoder's other branch adds the cross-attention projections only.
    expect(step.bytes.length).toBeGreaterThan(0.9 * bytes.length);
    expect(step.bytes.length).toBeLessThan(bytes.length);
    // Not a merged decoder (the step model itself, or garbage): null, and the app keeps the merged one.
    expect(cachedStepModel(step.bytes)).toBeNull();
    expect(cachedStepModel(new Uint8Array([0x3a, 0x05, 1, 2]))).toBeNull();
  });

  it('gives bit-identical logits, presents and cross-attentions for a prefix and for one more token', async () => {
    const merged = await ort.InferenceSession.create(bytes);
    const derived = cachedStepModel(bytes)!;
    const step = await ort.InferenceSession.create(derived.bytes);
    expect(step.inputNames).not.toContain('encoder_hidden_states');
    expect(step.inputNames).not.toContain('use_cache_branch');

    // First step on the merged decoder (no cache): the whole prefix, cross-attention K/V computed.
    const prefix = [50257, 50362, 383, 2068, 7586];
    const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, dim]);
    const first: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(prefix.map(BigInt)), [1, prefix.length]),
      encoder_hidden_states: new ort.Tensor('float32', floats(frames * config.d_model, 7), [1, frames, config.d_model]),
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
    };
    for (let i = 0; i < layers; i++) for (const k of ['decoder', 'encoder']) for (const v of ['key', 'value']) first[`past_key_values.${i}.${k}.${v}`] = empty();
    const a = await merged.run(first);

    // The same prefix on the step model from an empty self cache, with those K/V given.
    const cross: Record<string, ort.Tensor> = {};
    for (let i = 0; i < layers; i++) {
      cross[`past_key_values.${i}.encoder.key`] = transpose(a[`present.${i}.encoder.key`]);
      cross[`past_key_values.${i}.encoder.value`] = a[`present.${i}.encoder.value`];
    }
    const selfEmpty: Record<string, ort.Tensor> = {};
    for (let i = 0; i < layers; i++) for (const v of ['key', 'value']) selfEmpty[`past_key_values.${i}.decoder.${v}`] = empty();
    const b = await step.run({ input_ids: first.input_ids, ...selfEmpty, ...cross });
    expect(maxDiff(a.logits, b.logits)).toBe(0);
    expect(maxDiff(a['cross_attentions.1'], b['cross_attentions.1'])).toBe(0);
    expect(maxDiff(a[`present.${layers - 1}.decoder.value`], b[`present.${layers - 1}.decoder.value`])).toBe(0);

    // One cached step: merged (full encoder side, as transformers.js runs it) against the step model.
    const next = new ort.Tensor('int64', BigInt64Array.from([11n]), [1, 1]);
    const cached: Record<string, ort.Tensor> = { input_ids: next, encoder_hidden_states: first.encoder_hidden_states, use_cache_branch: new ort.Tensor('bool', [true], [1]) };
    const selfPast: Record<string, ort.Tensor> = {};
    for (let i = 0; i < layers; i++) {
      for (const v of ['key', 'value']) selfPast[`past_key_values.${i}.decoder.${v}`] = a[`present.${i}.decoder.${v}`];
      cached[`past_key_values.${i}.encoder.key`] = a[`present.${i}.encoder.key`];
      cached[`past_key_values.${i}.encoder.value`] = a[`present.${i}.encoder.value`];
    }
    const c = await merged.run({ ...cached, ...selfPast });
    const fetches = ['logits', ...Array.from({ length: layers }, (_, i) => [`present.${i}.decoder.key`, `present.${i}.decoder.value`]).flat()];
    const d = await step.run({ input_ids: next, ...selfPast, ...cross }, fetches);
    expect(Object.keys(d).sort()).toEqual([...fetches].sort());
    expect(maxDiff(c.logits, d.logits)).toBe(0);
    expect(maxDiff(c['present.0.decoder.key'], d['present.0.decoder.key'])).toBe(0);
    // The logits say something: not all equal.
    const row = c.logits.data as Float32Array;
    expect(Math.max(...row.subarray(0, 1000)) - Math.min(...row.subarray(0, 1000))).toBeGreaterThan(1);
  }, 60_000);
});

describe.skipIf(!have)('the encoder that takes any length', () => {
  const original = have ? new Uint8Array(readFileSync(`${MODEL}/onnx/encoder_model_quantized.onnx`)) : new Uint8Array();
  const config = have ? JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8')) : {};
  const features = (frames: number, all: Float32Array) => {
    const x = new Float32Array(80 * frames);
    for (let m = 0; m < 80; m++) x.set(all.subarray(m * 3000, m * 3000 + frames), m * frames);
    return new ort.Tensor('float32', x, [1, 80, frames]);
  };

  it("gives the exported encoder's output bit for bit on a whole window, and encodes a short input to frames / 2", async () => {
    const bytes = anyLengthEncoder(original)!;
    expect(bytes).not.toBeNull();
    const a = await ort.InferenceSession.create(original);
    const b = await ort.InferenceSession.create(bytes);
    const mel = floats(80 * 3000, 11, 2);
    const whole = features(3000, mel);
    expect(maxDiff((await a.run({ input_features: whole })).last_hidden_state, (await b.run({ input_features: whole })).last_hidden_state)).toBe(0);
    // The exported encoder refuses anything but 3 000 frames; the cut one takes 600 (6 s).
    await expect(a.run({ input_features: features(600, mel) })).rejects.toThrow();
    const short = (await b.run({ input_features: features(600, mel) })).last_hidden_state;
    expect(short.dims).toEqual([1, 300, config.d_model]);
    // Not an encoder (the merged decoder, garbage): null, and the app keeps the exported encoder.
    expect(anyLengthEncoder(new Uint8Array(readFileSync(`${MODEL}/onnx/decoder_model_merged_quantized.onnx`)))).toBeNull();
    expect(anyLengthEncoder(new Uint8Array([0x3a, 0x05, 1, 2]))).toBeNull();
  }, 60_000);
});
