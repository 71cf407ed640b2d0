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
import { internals, ortTensorOf } from './transformers-adapter';

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

type Outputs = Record<string, Tensor>;
type Pkv = Record<string, Tensor>;

const int64 = (rows: readonly (readonly number[])[]) =>
  new Tensor('int64', BigInt64Array.from(rows.flat(), (x) => BigInt(x)), [rows.length, rows[0].length]);

/** A tensor's values on the CPU (downloaded when it lives on the GPU). */
async function cpuData(t: Tensor): Promise<Float32Array> {
  return (t.location === 'gpu-buffer' ? await ortTensorOf<{ getData(): Promise<Float32Array> }>(t).getData() : t.data) as Float32Array;
}

/** Rows `indices` of a tensor's first dimension, as a new CPU tensor (tiles or reorders a batch). */
async function gatherBatch(t: Tensor, indices: readonly number[]): Promise<Tensor> {
  const onGpu = t.location === 'gpu-buffer';
  const data = await cpuData(t);
  const row = data.length / t.dims[0];
  const out = new (data.constructor as Float32ArrayConstructor)(row * indices.length);
  indices.forEach((from, i) => out.set(data.subarray(from * row, (from + 1) * row), i * row));
  if (onGpu) t.dispose();
  return new Tensor(t.type as 'float32', out, [indices.length, ...t.dims.slice(1)]);
}

async function gatherCache(pkv: Pkv, indices: readonly number[], includeEncoder: boolean): Promise<Pkv> {
  const out: Pkv = {};
  for (const [name, t] of Object.entries(pkv)) {
    out[name] = includeEncoder || !name.includes('encoder') ? await gatherBatch(t, indices) : t;
  }
  return out;
}

function disposeGpu(tensors: Iterable<Tensor>) {
  for (const t of tensors) if (t.location === 'gpu-buffer') t.dispose();
}

/** The logits row of one batch item at one position, as a fresh array the filters can edit. */
function logitsRow(logits: Tensor, batch: number, position: number): Float32Array {
  const [, length, vocab] = logits.dims;
  const start = (batch * length + position) * vocab;
  return (logits.data as Float32Array).slice(start, start + vocab);
}

/** `[batch, heads, frames, dim]` → `[batch, heads, dim, frames]`, once per window: the step model's cross-attention keys. */
function transposeKey(t: Tensor): Tensor {
  const [b, h, frames, dim] = t.dims;
  const src = t.data as Float32Array;
  const dst = new Float32Array(src.length);
  for (let m = 0; m < b * h; m++) {
    const base = m * frames * dim;
    for (let f = 0; f < frames; f++) {
      const row = base + f * dim;
      for (let d = 0; d < dim; d++) dst[base + d * frames + f] = src[row + d];
    }
  }
  return new Tensor('float32', dst, [b, h, dim, frames]);
}

const ENCODER_KEY = /^past_key_values\.\d+\.encoder\.key$/;

/** The cache as the step model takes it (keys transposed where it wants them so). */
function forStep(pkv: Pkv, step: CachedStep): Pkv {
  if (!step.keysTransposed) return pkv;
  const out: Pkv = {};
  for (const [name, t] of Object.entries(pkv)) out[name] = ENCODER_KEY.test(name) ? transposeKey(t) : t;
  return out;
}

/**
 * A window's cross-attention keys and values (batch 1, as the step model takes them), kept with
 * its encoder output: computing them is most of a first step (a 1 500 × d projection per layer;
 * base: ~390 ms against ~70 ms with them given), so fallback decodes at higher temperatures and
 * the word-timing pass reuse them. Gone with the encoder output.
 */
const crossCache = new WeakMap<Tensor, Pkv>();

/** An empty self-attention cache (past length 0) shaped after the cross-attention values. */
function emptySelf(cross: Pkv): Pkv {
  const out: Pkv = {};
  for (const [name, t] of Object.entries(cross)) {
    if (!name.endsWith('.encoder.value')) continue;
    const [, heads, , dim] = t.dims;
    for (const kind of ['key', 'value']) out[name.replace('.encoder.value', `.decoder.${kind}`)] = new Tensor('float32', new Float32Array(0), [1, heads, 0, dim]);
  }
  return out;
}

const ortOf = (t: Tensor) => ortTensorOf(t);

/**
 * Tokens through the step model: one row per batch item (one token each when stepping, the whole
 * prefix from an empty self cache). Only the logits, the self-attention presents and (when asked)
 * the cross-attention weights come back; the encoder side stays as it is in the cache.
 */
async function runStep(step: CachedStep, ids: readonly (readonly number[])[], pkv: Pkv, crossAttentions = false): Promise<{ logits: Tensor; pkv: Pkv; out: Outputs }> {
  const feeds: Record<string, unknown> = { input_ids: ortOf(int64(ids)) };
  for (const [name, t] of Object.entries(pkv)) feeds[name] = ortOf(t);
  const fetches = step.session.outputNames.filter((n: string) => n === 'logits' || n.startsWith('present.') || (crossAttentions && n.startsWith('cross_attentions.')));
  const res = (await step.session.run(feeds as never, fetches)) as Record<string, unknown>;
  const out: Outputs = {};
  for (const name of fetches) out[name] = new Tensor(res[name] as never);
  const next: Pkv = { ...pkv };
  for (const name of fetches) if (name.startsWith('present.')) next[name.replace('present.', 'past_key_values.')] = out[name];
  return { logits: out.logits, pkv: next, out };
}

/**
 * Keep the cross-attention cache a merged-decoder pass over this encoder output computed
 * (language detection's). Returns the output tensors now held by the cache: not to be disposed.
 */
export function rememberCross(encoderOutputs: Tensor, out: Outputs, step: CachedStep | null | undefined): Set<Tensor> {
  if (!step || crossCache.has(encoderOutputs)) return new Set();
  const pkv: Pkv = {};
  for (const [name, t] of Object.entries(out)) if (/^present\.\d+\.encoder\./.test(name) && t.location !== 'gpu-buffer') pkv[name.replace('present.', 'past_key_values.')] = t;
  if (!Object.keys(pkv).length) return new Set();
  const cache = forStep(pkv, step);
  crossCache.set(encoderOutputs, cache);
  return new Set(Object.values(cache));
}

/** The encoder entries of a batch-1 cache. */
function crossEntries(pkv: Pkv): Pkv {
  return Object.fromEntries(Object.entries(pkv).filter(([name]) => name.includes('.encoder.')));
}

/** The self-attention cache cut back to its first `length` positions (a draft's rejected tokens dropped). */
function truncateSelf(pkv: Pkv, length: number): Pkv {
  const out: Pkv = { ...pkv };
  for (const [name, t] of Object.entries(pkv)) {
    if (!name.includes('.decoder.') || t.dims[2] === length) continue;
    const [b, h, had, dim] = t.dims;
    const src = t.data as Float32Array;
    const dst = new Float32Array(b * h * length * dim);
    for (let m = 0; m < b * h; m++) dst.set(src.subarray(m * had * dim, (m * had + length) * dim), m * length * dim);
    out[name] = new Tensor('float32', dst, [b, h, length, dim]);
  }
  return out;
}

function isIdentity(indices: readonly number[], previous: number): boolean {
  return indices.length === previous && indices.every((v, i) => v === i);
}

/**
 * Decode one window at one temperature. Greedy, sampling and beam search share the loop: the
 * candidates run as one batch (one decoder call per step for all of them), which is what makes
 * 5 beams cost far less than 5 greedy decodes.
 */
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
  if (special.noSpeech !== null) noSpeechProb = Math.exp(logProbabilityOf(logitsRow(out.logits, 0, r.sotIndex), special.noSpeech));
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

function disposeCrossAttentions(out: Outputs) {
  disposeGpu(Object.entries(out).filter(([k]) => k.startsWith('cross_attentions')).map(([, t]) => t));
}

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
    const tokenProbs = r.textTokens.map((token, k) => Math.exp(logProbabilityOf(logitsRow(out.logits, 0, first + k), token, special.eot)));
    const tokenLogprobs = [...r.textTokens, special.eot].map((token, k) => logProbabilityOf(logitsRow(out.logits, 0, first + k), token));
    const noSpeechProb = special.noSpeech === null ? 0 : Math.exp(logProbabilityOf(logitsRow(out.logits, 0, 0), special.noSpeech));
    return { heads, tokenProbs, tokenLogprobs, noSpeechProb };
  } finally {
    disposeGpu(Object.values(out));
  }
}

export interface DraftDecodeRequest {
  encoderOutputs: Tensor;
  /** `<|startofprev|>` prompt, the SOT sequence with `<|notimestamps|>`, and any forced text. */
  prefix: readonly number[];
  /** Text tokens the model is likely to produce next (the previous pass's): checked in the first pass. */
  draft: readonly number[];
  /** OpenAI's SuppressBlank on the first token (off after forced text). */
  suppressAtStart: boolean;
  maxNewTokens: number;
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
    return argmax(row);
  };
  let next = choose(logitsRow(logits, 0, r.prefix.length - 1));
  while (tokens.length < draft.length && next === draft[tokens.length] && !r.stopAt([...tokens, next])) {
    tokens.push(next);
    next = choose(logitsRow(logits, 0, r.prefix.length - 1 + tokens.length));
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

