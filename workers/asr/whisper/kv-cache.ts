/**
 * The decoder's key/value caches between steps: the cross-attention K/V of a window computed once
 * (kept per encoder output, reused by every decode and alignment pass on it), the self-attention
 * cache gathered per beam and truncated after a draft, and one run of the cached step model
 * (models/decoder-graph.ts) on them. Tensors on the GPU are disposed as soon as they are replaced.
 */
import { Tensor } from '@huggingface/transformers';
import type { CachedStep } from './model';
import { ortTensorOf } from './transformers-adapter';

export type Outputs = Record<string, Tensor>;
export type Pkv = Record<string, Tensor>;

export const int64 = (rows: readonly (readonly number[])[]) =>
  new Tensor('int64', BigInt64Array.from(rows.flat(), (x) => BigInt(x)), [rows.length, rows[0].length]);

/** A tensor's values on the CPU (downloaded when it lives on the GPU). */
export async function cpuData(t: Tensor): Promise<Float32Array> {
  return (t.location === 'gpu-buffer' ? await ortTensorOf<{ getData(): Promise<Float32Array> }>(t).getData() : t.data) as Float32Array;
}

/** Rows `indices` of a tensor's first dimension, as a new CPU tensor (tiles or reorders a batch). */
export async function gatherBatch(t: Tensor, indices: readonly number[]): Promise<Tensor> {
  const onGpu = t.location === 'gpu-buffer';
  const data = await cpuData(t);
  const row = data.length / t.dims[0];
  const out = new (data.constructor as Float32ArrayConstructor)(row * indices.length);
  indices.forEach((from, i) => out.set(data.subarray(from * row, (from + 1) * row), i * row));
  if (onGpu) t.dispose();
  return new Tensor(t.type as 'float32', out, [indices.length, ...t.dims.slice(1)]);
}

export async function gatherCache(pkv: Pkv, indices: readonly number[], includeEncoder: boolean): Promise<Pkv> {
  const out: Pkv = {};
  for (const [name, t] of Object.entries(pkv)) {
    out[name] = includeEncoder || !name.includes('encoder') ? await gatherBatch(t, indices) : t;
  }
  return out;
}

export function disposeGpu(tensors: Iterable<Tensor>) {
  for (const t of tensors) if (t.location === 'gpu-buffer') t.dispose();
}

/**
 * The logits row of one batch item at one position, as a fresh array the filters can edit.
 * `inputLength`: the position counts in the run's input, whose first rows may have no logits (a
 * decoder edited to project only from `<|startoftranscript|>` on, models/logits-from-sot.ts).
 */
export function logitsRow(logits: Tensor, batch: number, position: number, inputLength = logits.dims[1]): Float32Array {
  const [, length, vocab] = logits.dims;
  const row = position - (inputLength - length);
  if (row < 0 || row >= length) throw new RangeError(`no logits at position ${position} of ${inputLength} (rows ${inputLength - length}–${inputLength - 1})`);
  const start = (batch * length + row) * vocab;
  return (logits.data as Float32Array).slice(start, start + vocab);
}

/** `[batch, heads, frames, dim]` → `[batch, heads, dim, frames]`, once per window: the step model's cross-attention keys. */
export function transposeKey(t: Tensor): Tensor {
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
export function forStep(pkv: Pkv, step: CachedStep): Pkv {
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
export const crossCache = new WeakMap<Tensor, Pkv>();

/** An empty self-attention cache (past length 0) shaped after the cross-attention values. */
export function emptySelf(cross: Pkv): Pkv {
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
export async function runStep(step: CachedStep, ids: readonly (readonly number[])[], pkv: Pkv, crossAttentions = false): Promise<{ logits: Tensor; pkv: Pkv; out: Outputs }> {
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
export function crossEntries(pkv: Pkv): Pkv {
  return Object.fromEntries(Object.entries(pkv).filter(([name]) => name.includes('.encoder.')));
}

/** The self-attention cache cut back to its first `length` positions (a draft's rejected tokens dropped). */
export function truncateSelf(pkv: Pkv, length: number): Pkv {
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

export function isIdentity(indices: readonly number[], previous: number): boolean {
  return indices.length === previous && indices.every((v, i) => v === i);
}

/**
 * Decode one window at one temperature. Greedy, sampling and beam search share the loop: the
 * candidates run as one batch (one decoder call per step for all of them), which is what makes
 * 5 beams cost far less than 5 greedy decodes.
 */

/** Drop the cross-attention outputs a run returned (GPU buffers on WebGPU). */
export function disposeCrossAttentions(out: Outputs) {
  disposeGpu(Object.entries(out).filter(([k]) => k.startsWith('cross_attentions')).map(([, t]) => t));
}
