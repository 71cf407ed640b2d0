/**
 * Our own decoder loop over transformers.js's Whisper sessions, for one 30 s window.
 *
 * Why not `model.generate()`: in transformers.js 3.x it returns neither scores nor the
 * log-probabilities of the tokens it picked, cannot do beam search ("TODO: Support beam search"),
 * and does not expose the first step's logits at `<|startoftranscript|>` (the no-speech
 * probability). OpenAI's safeguards (temperature fallback on average log-probability, the
 * no-speech gate) and the "Best" accuracy setting need all three. transformers.js stays the
 * loader, the tokenizer and the first step's runner (`model.forward`, `getPastKeyValues`); the
 * steps after it run the cached step cut out of the same decoder (decoder-graph.ts) where the
 * loader made one. The rules are the pure functions of src/domain/transcript/decoding.ts.
 */
import { Tensor, type WhisperForConditionalGeneration } from '@huggingface/transformers';
import {
  BeamSearch,
  applyLogitFilters,
  argmax,
  averageLogprob,
  logProbabilityOf,
  logSoftmax,
  sample,
  seededRandom,
  type SpecialTokens,
} from '../../../src/domain/transcript/decoding';
import { findRepetitionLoop } from '../../../src/domain/transcript/repetition';
import type { CachedStep } from './model';
import { crossCache, crossEntries, disposeCrossAttentions, disposeGpu, emptySelf, forStep, gatherBatch, gatherCache, int64, isIdentity, logitsRow, runStep, type Outputs, type Pkv } from './kv-cache';
import { internals } from './transformers-adapter';

export interface WindowDecodeRequest {
  /** The encoder's output for this window, batch 1. */
  encoderOutputs: Tensor;
  /** Decoder input before the first generated token: `<|startofprev|>` prompt, then the SOT sequence. */
  prefix: readonly number[];
  /** Index of `<|startoftranscript|>` in `prefix` (the no-speech probability is read there). */
  sotIndex: number;
  timestamps: boolean;
  maxNewTokens: number;
  temperature: number;
  /** At temperature 0: beams (1 = greedy). Above 0: independent samples, the likeliest kept (OpenAI's `best_of`). */
  candidates: number;
  seed: number;
  isCancelled: () => boolean;
  /** The current best hypothesis after each step (for partial text and progress). */
  onStep?: (tokens: readonly number[]) => void;
  /** Runs before each decoder step: lets a cancel or queued messages in. */
  beforeStep?: () => Promise<void>;
  /** The cached step on its own (decoder-graph.ts): steps after the first run it instead of the merged decoder. */
  step?: CachedStep | null;
}

export interface WindowDecodeResult {
  /** Generated tokens (timestamps and text), without the end token. */
  tokens: number[];
  sumLogprob: number;
  avgLogprob: number;
  noSpeechProb: number;
  temperature: number;
  /** Stopped because the text started repeating itself. */
  looped: boolean;
  cancelled: boolean;
  /** Decoder steps run (batched steps count once). */
  steps: number;
}

export async function decodeWindow(model: WhisperForConditionalGeneration, special: SpecialTokens, r: WindowDecodeRequest): Promise<WindowDecodeResult> {
  const m = internals(model);
  const beam = r.temperature === 0 && r.candidates > 1 ? new BeamSearch(r.candidates, special.eot) : null;
  const rows = beam ? 1 : r.temperature === 0 ? 1 : Math.max(1, r.candidates);
  const random = seededRandom(r.seed);

  // First step: the whole prefix, batch 1. Its logits at <|startoftranscript|> give no-speech.
  await r.beforeStep?.();
  const cross = r.step ? crossCache.get(r.encoderOutputs) : undefined;
  let out: Outputs;
  let pkv: Pkv;
  if (r.step && cross) ({ out, pkv } = await runStep(r.step, [r.prefix], { ...emptySelf(cross), ...cross }));
  else {
    out = await m.forward({ encoder_outputs: r.encoderOutputs, decoder_input_ids: int64([r.prefix]) });
    pkv = m.getPastKeyValues(out, null);
    if (r.step) {
      pkv = forStep(pkv, r.step);
      crossCache.set(r.encoderOutputs, crossEntries(pkv));
    }
  }
  let noSpeechProb = 0;
  if (special.noSpeech !== null) noSpeechProb = Math.exp(logProbabilityOf(logitsRow(out.logits, 0, r.sotIndex, r.prefix.length), special.noSpeech));
  let encoder = r.encoderOutputs;
  // Every candidate starts from the prefix: the same first row for all of them.
  const firstRow = logitsRow(out.logits, 0, out.logits.dims[1] - 1);
  let last: (b: number) => Float32Array = () => firstRow.slice();
  disposeCrossAttentions(out);

  const seqs: number[][] = Array.from({ length: rows }, () => []);
  const sums = new Array<number>(rows).fill(0);
  const ended = new Array<boolean>(rows).fill(false);
  let batch = 1;
  let looped = false;
  let cancelled = false;
  let steps = 1;

  // Grow the batch of 1 to the candidates' batch (samples, or beams after their first step).
  const widen = async (to: number, indices = new Array<number>(to).fill(0)) => {
    pkv = await gatherCache(pkv, indices, true);
    encoder = await gatherBatch(r.encoderOutputs, new Array<number>(to).fill(0));
    batch = to;
  };
  if (rows > 1) await widen(rows);

  for (let step = 0; step < r.maxNewTokens; step++) {
    let next: number[];
    if (beam) {
      const logprobs = beam.beams.map((h, b) => {
        const row = last(b);
        applyLogitFilters(row, h.tokens, special, r.timestamps);
        return logSoftmax(row);
      });
      const sources = beam.step(logprobs);
      if (beam.done || beam.beams.length === 0) break;
      if (batch === 1 && beam.beams.length > 1) await widen(beam.beams.length, sources);
      else if (!isIdentity(sources, batch)) {
        pkv = await gatherCache(pkv, sources, sources.length !== batch);
        if (sources.length !== batch) encoder = await gatherBatch(r.encoderOutputs, new Array<number>(sources.length).fill(0));
        batch = sources.length;
      }
      next = beam.beams.map((h) => h.tokens[h.tokens.length - 1]);
      r.onStep?.(beam.beams[0].tokens);
      if (findRepetitionLoop(beam.beams[0].tokens.filter((t) => t < special.eot)) >= 0) {
        looped = true;
        break;
      }
    } else {
      next = [];
      for (let b = 0; b < rows; b++) {
        if (ended[b]) {
          next.push(special.eot);
          continue;
        }
        const row = last(b);
        applyLogitFilters(row, seqs[b], special, r.timestamps);
        const token = r.temperature === 0 ? argmax(row) : sample(row, r.temperature, random);
        sums[b] += logProbabilityOf(row, token);
        if (token === special.eot) ended[b] = true;
        else seqs[b].push(token);
        next.push(token);
      }
      r.onStep?.(seqs[0]);
      if (ended.every(Boolean)) break;
      if (rows === 1 && findRepetitionLoop(seqs[0].filter((t) => t < special.eot)) >= 0) {
        looped = true;
        break;
      }
    }
    if (r.isCancelled()) {
      cancelled = true;
      break;
    }
    if (step === r.maxNewTokens - 1) break;
    await r.beforeStep?.();
    steps++;
    let logits: Tensor;
    if (r.step) ({ logits, pkv } = await runStep(r.step, next.map((t) => [t]), pkv));
    else {
      out = await m.forward({ encoder_outputs: encoder, decoder_input_ids: int64(next.map((t) => [t])), past_key_values: pkv });
      logits = out.logits;
      pkv = m.getPastKeyValues(out, pkv);
      disposeCrossAttentions(out);
    }
    last = (b) => logitsRow(logits, b, 0);
  }
  disposeGpu(Object.values(pkv));

  let tokens: number[];
  let sumLogprob: number;
  if (beam) {
    const best = beam.best();
    tokens = best.tokens;
    sumLogprob = best.sumLogprob;
  } else {
    // OpenAI's `best_of`: the sample with the best length-normalised log-probability.
    let best = 0;
    for (let b = 1; b < rows; b++) if (sums[b] / Math.max(1, seqs[b].length) > sums[best] / Math.max(1, seqs[best].length)) best = b;
    tokens = seqs[best];
    sumLogprob = sums[best];
  }
  return {
    tokens,
    sumLogprob,
    avgLogprob: averageLogprob(sumLogprob, tokens.length),
    noSpeechProb,
    temperature: r.temperature,
    looped,
    cancelled,
    steps,
  };
}

