/**
 * Word timings from decoders exported without cross-attention outputs (the hub's plain repos):
 * the loader's graph edit gives back the very weights an `--output_attentions` export returns.
 * Stand-in for a plain export: the shared model with its `cross_attentions.*` outputs removed.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { maxDiff } from '../fixtures/tensors';
import { cachedStepModel } from '../../workers/asr/models/decoder-graph';
import { exposeCrossAttentions, hasCrossAttentionOutputs } from '../../workers/asr/models/attention-outputs';
import { withoutCrossAttentions } from '../fixtures/models/plain-export';

const TINY = '../shared/models/whisper-tiny.en';
const TOY = '../shared/models/earshot-test-memorized';
const have = existsSync(`${TINY}/onnx/decoder_model_merged_quantized.onnx`);
const haveToy = existsSync(`${TOY}/onnx/decoder_model_merged_q4.onnx`);
if (!have) console.warn(`attention-output tests skipped: ${TINY} is missing (see ../shared/README.md)`);
if (!haveToy) console.warn(`attention-output tests on the q4 toy decoder skipped: ${TOY}/onnx/decoder_model_merged_q4.onnx is missing`);

function floats(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * scale;
  });
}


/** Feeds for a merged decoder: the first step (no cache) over `ids`. */
function firstStep(config: { decoder_layers: number; decoder_attention_heads: number; d_model: number }, ids: number[], frames = 1500) {
  const heads = config.decoder_attention_heads;
  const dim = config.d_model / heads;
  const empty = () => new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, dim]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    encoder_hidden_states: new ort.Tensor('float32', floats(frames * config.d_model, 7), [1, frames, config.d_model]),
    use_cache_branch: new ort.Tensor('bool', [false], [1]),
  };
  for (let i = 0; i < config.decoder_layers; i++) for (const k of ['decoder', 'encoder']) for (const v of ['key', 'value']) feeds[`past_key_values.${i}.${k}.${v}`] = empty();
  return feeds;
}

describe.skipIf(!have)('cross-attention outputs for a plain export (whisper-tiny.en q8)', () => {
  const exported = have ? new Uint8Array(readFileSync(`${TINY}/onnx/decoder_model_merged_quantized.onnx`)) : new Uint8Array();
  const config = have ? JSON.parse(readFileSync(`${TINY}/config.json`, 'utf8')) : {};
  const layers: number = config.decoder_layers;

  it('are exposed again with the exported weights, bit for bit, on the first step and a cached one', async () => {
    const plain = withoutCrossAttentions(exported);
    expect(hasCrossAttentionOutputs(exported)).toBe(true);
    expect(hasCrossAttentionOutputs(plain)).toBe(false);
    const plainSession = await ort.InferenceSession.create(plain);
    expect(plainSession.outputNames.filter((n) => n.startsWith('cross_attentions'))).toEqual([]);

    const edited = exposeCrossAttentions(plain)!;
    expect(edited).not.toBeNull();
    expect(edited.layers).toBe(layers);
    // Already has them (the shared export, or the edit's own result): nothing to do.
    expect(exposeCrossAttentions(exported)).toBeNull();
    expect(exposeCrossAttentions(edited.bytes)).toBeNull();
    // Not a decoder: null, and the app says the model gives no word times.
    expect(exposeCrossAttentions(new Uint8Array(readFileSync(`${TINY}/onnx/encoder_model_quantized.onnx`)))).toBeNull();
    expect(exposeCrossAttentions(new Uint8Array([0x3a, 0x05, 1, 2]))).toBeNull();
    // The weights are copied, not re-encoded: the file grows by a few hundred bytes.
    expect(edited.bytes.length - plain.length).toBeLessThan(2000);

    const original = await ort.InferenceSession.create(exported);
    const session = await ort.InferenceSession.create(edited.bytes);
    expect(session.outputNames).toEqual(original.outputNames);
    const feeds = firstStep(config, [50257, 50362, 383, 2068, 7586]);
    const a = await original.run(feeds);
    const b = await session.run(feeds);
    for (let l = 0; l < layers; l++) expect(maxDiff(a[`cross_attentions.${l}`], b[`cross_attentions.${l}`])).toBe(0);
    expect(maxDiff(a.logits, b.logits)).toBe(0);
    // The weights are attention: each row sums to 1 over the frames.
    const row = (b['cross_attentions.0'].data as Float32Array).subarray(0, 1500);
    expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 4);

    // A cached step (the other branch of the If).
    const cached: Record<string, ort.Tensor> = { ...feeds, input_ids: new ort.Tensor('int64', BigInt64Array.from([11n]), [1, 1]), use_cache_branch: new ort.Tensor('bool', [true], [1]) };
    for (let i = 0; i < layers; i++) for (const k of ['decoder', 'encoder']) for (const v of ['key', 'value']) cached[`past_key_values.${i}.${k}.${v}`] = a[`present.${i}.${k}.${v}`];
    const c = await original.run(cached);
    const d = await session.run(cached);
    for (let l = 0; l < layers; l++) expect(maxDiff(c[`cross_attentions.${l}`], d[`cross_attentions.${l}`])).toBe(0);

    // The cached step the WASM loader cuts from it keeps them too.
    const step = cachedStepModel(edited.bytes)!;
    expect(step.outputs.filter((o) => o.startsWith('cross_attentions.'))).toHaveLength(layers);
  }, 120_000);
});

describe.skipIf(!haveToy)('cross-attention outputs on a decoder without an If (the q4 toy decoder: MatMulNBits)', () => {
  it('exposes the second Softmax of each layer', async () => {
    const bytes = new Uint8Array(readFileSync(`${TOY}/onnx/decoder_model_merged_q4.onnx`));
    const config = JSON.parse(readFileSync(`${TOY}/config.json`, 'utf8'));
    const edited = exposeCrossAttentions(bytes)!;
    expect(edited).not.toBeNull();
    expect(edited.layers).toBe(config.decoder_layers);
    const session = await ort.InferenceSession.create(edited.bytes);
    const frames = 1500;
    const out = await session.run(firstStep(config, [50258, 50259, 50359, 50363, 400], frames));
    const t = out['cross_attentions.1'];
    expect(t.dims).toEqual([1, config.decoder_attention_heads, 5, frames]);
    // Cross-attention (over the audio frames), not self-attention (over 5 tokens).
    const row = (t.data as Float32Array).subarray(0, frames);
    expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 4);
  }, 60_000);
});
