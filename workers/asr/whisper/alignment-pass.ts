/**
 * One decoder pass over settled text to read word timings: the cross-attention weights of the
 * alignment heads, and the text's token probabilities and no-speech probability.
 */
import type { Tensor, WhisperForConditionalGeneration } from '@huggingface/transformers';
import { logProbabilityOf, logSumExpSplit, type SpecialTokens } from '../../../src/domain/transcript/decoding';
import { cpuData, crossCache, disposeGpu, emptySelf, int64, logitsRow, runStep } from './kv-cache';
import type { CachedStep } from './model';
import { internals } from './transformers-adapter';
export interface AlignmentRequest {
  encoderOutputs: Tensor;
  /** `<|startoftranscript|>` [language, task] — without prompt, without `<|notimestamps|>`. */
  sotSequence: readonly number[];
  textTokens: readonly number[];
  /** Encoder frames that hold audio (the rest of the 1 500 is padding). */
  frames: number;
  alignmentHeads: readonly (readonly [number, number])[];
  /** The step model: the pass runs on it when this window's cross-attention cache is kept. */
  step?: CachedStep | null;
}

export interface AlignmentData {
  /** Per alignment head: (text tokens + 1) × frames attention, each row a distribution over the audio frames. */
  heads: Float32Array[];
  /** Probability of each text token (softmax over text tokens only). */
  tokenProbs: number[];
  /** Log-probability of each text token and of the end token under the full vocabulary (for `avg_logprob`). */
  tokenLogprobs: number[];
  /** `<|nospeech|>` probability at `<|startoftranscript|>`. */
  noSpeechProb: number;
}

/**
 * OpenAI's `find_alignment` forward: one decoder pass over `SOT… <|notimestamps|> text <|eot|>`
 * (no prompt, no timestamps) reading the cross-attention of the alignment heads. Returns null
 * when the model was exported without cross-attention outputs.
 */
export async function alignmentPass(model: WhisperForConditionalGeneration, special: SpecialTokens, r: AlignmentRequest): Promise<AlignmentData | null> {
  const m = internals(model);
  const ids = [...r.sotSequence, special.noTimestamps, ...r.textTokens, special.eot];
  const cross = r.step ? crossCache.get(r.encoderOutputs) : undefined;
  const out = r.step && cross ? (await runStep(r.step, [ids], { ...emptySelf(cross), ...cross }, true)).out : await m.forward({ encoder_outputs: r.encoderOutputs, decoder_input_ids: int64([ids]) });
  try {
    if (!('cross_attentions.0' in out)) return null;
    const first = r.sotSequence.length; // row of <|notimestamps|>, which predicts the first text token
    const rows = r.textTokens.length + 1;
    const heads: Float32Array[] = [];
    for (const [layer, head] of r.alignmentHeads) {
      const t = out[`cross_attentions.${layer}`];
      if (!t) return null;
      const [, nHeads, length, allFrames] = t.dims;
      if (head >= nHeads) return null;
      const data = await cpuData(t);
      const w = new Float32Array(rows * r.frames);
      for (let k = 0; k < rows; k++) {
        const base = (head * length + first + k) * allFrames;
        // The model's softmax ran over all 1 500 frames; OpenAI's over the audio frames only.
        let sum = 0;
        for (let f = 0; f < r.frames; f++) sum += data[base + f];
        for (let f = 0; f < r.frames; f++) w[k * r.frames + f] = data[base + f] / (sum || 1);
      }
      heads.push(w);
    }
    // Word probabilities as OpenAI's: softmax over the text tokens only.
    const tokenProbs: number[] = [];
    const tokenLogprobs: number[] = [];
    r.textTokens.forEach((token, k) => {
      const row = logitsRow(out.logits, 0, first + k, ids.length);
      const [text, all] = logSumExpSplit(row, special.eot);
      tokenProbs.push(Math.exp(Math.fround(row[token] - text)));
      tokenLogprobs.push(Math.fround(row[token] - all));
    });
    tokenLogprobs.push(logProbabilityOf(logitsRow(out.logits, 0, first + r.textTokens.length, ids.length), special.eot));
    const noSpeechProb = special.noSpeech === null ? 0 : Math.exp(logProbabilityOf(logitsRow(out.logits, 0, 0, ids.length), special.noSpeech));
    return { heads, tokenProbs, tokenLogprobs, noSpeechProb };
  } finally {
    disposeGpu(Object.values(out));
  }
}
