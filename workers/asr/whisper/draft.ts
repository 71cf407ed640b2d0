/**
 * Live passes decoded with a draft: the previous pass's text checked in one run of the step model.
 */
import type { Tensor, WhisperForConditionalGeneration } from '@huggingface/transformers';
import { applyLogitFilters, argmax, type SpecialTokens } from '../../../src/domain/transcript/decoding';
import { crossCache, crossEntries, disposeCrossAttentions, emptySelf, forStep, int64, logitsRow, runStep, truncateSelf, type Pkv } from './kv-cache';
import type { CachedStep } from './model';
import { internals } from './transformers-adapter';

export interface DraftDecodeRequest {
  encoderOutputs: Tensor;
  /** `<|startofprev|>` prompt, the SOT sequence with `<|notimestamps|>`, and any forced text. */
  prefix: readonly number[];
  /** Text tokens the model is likely to produce next (the previous pass's): checked in the first pass. */
  draft: readonly number[];
  /** OpenAI's SuppressBlank on the first token (off after forced text). */
  suppressAtStart: boolean;
  maxNewTokens: number;
  /** The end token is suppressed until this many tokens (the warm-up: see UtteranceOptions). */
  minNewTokens?: number;
  /** Stop when the tokens so far say so (a repetition loop). */
  stopAt: (tokens: readonly number[]) => boolean;
  isCancelled: () => boolean;
  beforeStep?: () => Promise<void>;
  step: CachedStep;
}

/**
 * Greedy text-only decoding with a draft (assisted decoding where the draft is free: in live
 * mode, what the previous pass over the same utterance said). The first pass runs the prefix and
 * the whole draft at once; each draft token is kept while it is the model's own greedy choice at
 * its position, the first disagreement is replaced by the model's token, the cache is cut back
 * there, and decoding goes on token by token. So the text is the model's greedy text, and a draft
 * that holds costs one pass instead of one step per token. (With q8 weights the activations are
 * quantised per pass, so a token's logits may differ in the last digits between a joint pass and
 * single steps, as they already do for the prompt; the choice is the model's either way.)
 */
export async function decodeWithDraft(model: WhisperForConditionalGeneration, special: SpecialTokens, r: DraftDecodeRequest): Promise<{ tokens: number[]; accepted: number; cancelled: boolean; steps: number }> {
  const m = internals(model);
  const draft = r.draft.slice(0, Math.max(0, r.maxNewTokens - 1));
  const ids = [...r.prefix, ...draft];
  await r.beforeStep?.();
  // Cancelled while the encoder ran (a live pass that can no longer be the final).
  if (r.isCancelled()) return { tokens: [], accepted: 0, cancelled: true, steps: 0 };
  const cross = crossCache.get(r.encoderOutputs);
  let logits: Tensor;
  let pkv: Pkv;
  if (cross) ({ logits, pkv } = await runStep(r.step, [ids], { ...emptySelf(cross), ...cross }));
  else {
    const out = await m.forward({ encoder_outputs: r.encoderOutputs, decoder_input_ids: int64([ids]) });
    logits = out.logits;
    pkv = forStep(m.getPastKeyValues(out, null), r.step);
    crossCache.set(r.encoderOutputs, crossEntries(pkv));
    disposeCrossAttentions(out);
  }
  const tokens: number[] = [];
  const choose = (row: Float32Array) => {
    applyLogitFilters(row, tokens, special, false, r.suppressAtStart);
    if (tokens.length < (r.minNewTokens ?? 0)) row[special.eot] = -Infinity;
    return argmax(row);
  };
  let next = choose(logitsRow(logits, 0, r.prefix.length - 1, ids.length));
  while (tokens.length < draft.length && next === draft[tokens.length] && !r.stopAt([...tokens, next])) {
    tokens.push(next);
    next = choose(logitsRow(logits, 0, r.prefix.length - 1 + tokens.length, ids.length));
  }
  const accepted = tokens.length;
  if (accepted < draft.length) pkv = truncateSelf(pkv, r.prefix.length + accepted);
  let steps = 1;
  let cancelled = false;
  while (next !== special.eot) {
    tokens.push(next);
    if (tokens.length >= r.maxNewTokens || r.stopAt(tokens)) break;
    if (r.isCancelled()) {
      cancelled = true;
      break;
    }
    await r.beforeStep?.();
    ({ logits, pkv } = await runStep(r.step, [[next]], pkv));
    steps++;
    next = choose(logitsRow(logits, 0, 0));
  }
  return { tokens, accepted, cancelled, steps };
}
