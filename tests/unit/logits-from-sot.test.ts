/**
 * The decoder edited to project onto the vocabulary only from <|startoftranscript|> on
 * (workers/asr/models/logits-from-sot.ts), on the real whisper-tiny.en q8 merged decoder.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { cachedStepModel } from '../../workers/asr/models/decoder-graph';
import { logitsFromSot } from '../../workers/asr/models/logits-from-sot';
import { concat, lengthDelimited, nodeBytes } from '../../workers/asr/onnx/wire';
import { logitsRow } from '../../workers/asr/whisper/kv-cache';
import type { Tensor } from '@huggingface/transformers';

const MODEL = '../shared/models/whisper-tiny.en';
const have = existsSync(`${MODEL}/onnx/decoder_model_merged_quantized.onnx`);
if (!have) console.warn(`logits-from-sot tests skipped: ${MODEL} is missing (see ../shared/README.md)`);

describe.skipIf(!have)('logits only from <|startoftranscript|> on', () => {
  const bytes = have ? new Uint8Array(readFileSync(`${MODEL}/onnx/decoder_model_merged_quantized.onnx`)) : new Uint8Array();
  const config = have ? JSON.parse(readFileSync(`${MODEL}/config.json`, 'utf8')) : {};
  const gen = have ? JSON.parse(readFileSync(`${MODEL}/generation_config.json`, 'utf8')) : {};
  const sot: number = gen.decoder_start_token_id;
  const heads: number = config.decoder_attention_heads;
  const dim: number = config.d_model / heads;

  const feeds = (session: ort.InferenceSession, ids: number[]) => {
    let s = 7;
    const hidden = Float32Array.from({ length: 600 * config.d_model }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2);
    const f: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      encoder_hidden_states: new ort.Tensor('float32', hidden, [1, 600, config.d_model]),
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
    };
    for (const n of session.inputNames) if (n.startsWith('past_key_values')) f[n] = new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, dim]);
    return f;
  };

  it('gives the same logits from SOT on, none for the prompt, and every row where there is no SOT', async () => {
    const edited = logitsFromSot(bytes, sot)!;
    expect(edited).not.toBeNull();
    const [before, after] = await Promise.all([ort.InferenceSession.create(bytes), ort.InferenceSession.create(edited)]);
    // <|startofprev|> + 60 prompt tokens, then SOT, <|notimestamps|> and two words.
    const prompt = [gen.prev_sot_token_id ?? 50360, ...Array.from({ length: 60 }, (_, i) => 400 + 13 * i)];
    const ids = [...prompt, sot, gen.no_timestamps_token_id, 383, 2068];
    const a = (await before.run(feeds(before, ids))).logits;
    const b = (await after.run(feeds(after, ids))).logits;
    expect(a.dims[1]).toBe(ids.length);
    expect(b.dims[1]).toBe(ids.length - prompt.length);
    for (let p = prompt.length; p < ids.length; p++) {
      const x = logitsRow(a as unknown as Tensor, 0, p);
      const y = logitsRow(b as unknown as Tensor, 0, p, ids.length);
      expect(x.every((v, i) => v === y[i]), `position ${p}`).toBe(true);
    }
    expect(() => logitsRow(b as unknown as Tensor, 0, prompt.length - 1, ids.length)).toThrow(RangeError);
    // No SOT in the input (a cached step's tokens): every row.
    expect((await after.run(feeds(after, [383, 2068, 7586]))).logits.dims[1]).toBe(3);
  }, 60_000);

  it('still gives a cached step, and leaves a graph it does not know alone', () => {
    const edited = logitsFromSot(bytes, sot)!;
    expect(cachedStepModel(edited)).not.toBeNull();
    const encoder = new Uint8Array(readFileSync(`${MODEL}/onnx/encoder_model_quantized.onnx`));
    expect(logitsFromSot(encoder, sot)).toBeNull();
    expect(logitsFromSot(new Uint8Array([0x3a, 0x05, 1, 2]), sot)).toBeNull();
    // A projection over positions flattened into the batch (2-D input): a slice on axis 1 would cut d_model.
    const graph = (first: string) => concat(lengthDelimited(7, [...nodeBytes(first, ['hidden', 'shape'], ['flat']), ...nodeBytes('MatMul', ['flat', 'weight'], ['logits'])]));
    expect(logitsFromSot(graph('Reshape'), sot)).toBeNull();
    expect(logitsFromSot(graph('Add'), sot)).not.toBeNull();
  });
});
