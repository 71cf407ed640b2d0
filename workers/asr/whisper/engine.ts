/**
 * A loaded Whisper's steps: features, one encoder run shared by language ID and decoding, the
 * prompt and SOT sequence, one window's decode with OpenAI's temperature fallback, word alignment
 * from cross-attention, and the time spent in each ONNX session. Long-form transcription of a file
 * (long-form.ts) and live utterances (utterance.ts) are built from these steps.
 *
 * Environment-agnostic on purpose: the worker drives it in the browser, and Node tests drive the
 * same code with transformers' Node build.
 */
import { Tensor } from '@huggingface/transformers';
import { WHISPER_SAMPLE_RATE_HZ, WINDOW_SAMPLES } from '../../../src/domain/audio/constants';
import { isSilent } from '../../../src/domain/audio/silence';
import { snapToEnergy } from '../../../src/domain/audio/energy-edges';
import { alignmentCost, groupWords, snapToSpeech, tokenStartTimes, type Word } from '../../../src/domain/transcript/alignment';
import { approximateWords } from '../../../src/domain/transcript/approximate-words';
import { BEAM_SIZE, COMPRESSION_RATIO_THRESHOLD, DEFAULT_TEMPERATURES, compressionRatio, needsFallback, type SpecialTokens } from '../../../src/domain/transcript/decoding';
import { languageProbabilities, languageTokenMap } from '../../../src/domain/transcript/langid';
import type { LanguageGuess } from '../../../src/domain/transcript/types';
import type { TokenInfo } from '../../../src/domain/transcript/window';
import { alignmentPass } from './alignment-pass';
import { decodeWindow, type WindowDecodeResult } from './decoder';
import { rememberCross } from './kv-cache';
import { logMel } from './features';
import { DECODER_CONTEXT, MAX_NEW_TOKENS, MAX_PROMPT_TOKENS } from './limits';
import { round, transcribeFile } from './long-form';
import type { FallbackRequest, FileOptions, SessionSnapshot, UtteranceDecode, UtteranceOptions, UtteranceSteps, WindowSteps } from './steps';
import type { LoadedWhisper } from './model';
import { decodeUtterance } from './utterance';
import { decodeWithDraft } from './draft';
import { acceptEncoderOutputs, configOf, generationConfigOf, internals, sessionsOf, tokenIdsOf, wrapSessionRuns } from './transformers-adapter';
import { withOrtLock } from '../runtime/ort-lock';
import type { Task, TranscribeResult, TranscribeUpdate } from '../protocol';
import { yieldToEventLoop } from '../runtime/yield';

export type { LoadedWhisper };

interface GenerationConfigLike {
  decoder_start_token_id: number;
  eos_token_id: number;
  no_timestamps_token_id: number;
  lang_to_id?: Record<string, number>;
  task_to_id?: Record<string, number>;
  is_multilingual?: boolean;
  alignment_heads?: [number, number][];
}

interface WhisperDims {
  decoder_layers?: number;
  decoder_attention_heads?: number;
}

/**
 * The cross-attention heads word times are read from: the model's `alignment_heads` when they
 * name heads it has; else, as OpenAI's `Whisper.__init__` does for a model without a list, every
 * head of the second half of the decoder layers (a distilled model keeps its teacher's list,
 * which names layers its 2-layer decoder does not have).
 */
function alignmentHeads(gen: { alignment_heads?: [number, number][] }, dims: WhisperDims): [number, number][] {
  const layers = dims.decoder_layers ?? 0;
  const heads = dims.decoder_attention_heads ?? 0;
  const listed = gen.alignment_heads ?? [];
  if (listed.length && listed.every(([l, h]) => l < layers && h < heads)) return listed;
  const out: [number, number][] = [];
  for (let l = Math.floor(layers / 2); l < layers; l++) for (let h = 0; h < heads; h++) out.push([l, h]);
  return out;
}

export class WhisperEngine implements WindowSteps, UtteranceSteps {
  readonly loaded: LoadedWhisper;
  readonly #gen: GenerationConfigLike;
  readonly tokens: TokenInfo & { noTimestamps: number };
  readonly #languages: Map<string, number>;
  readonly #heads: [number, number][];
  readonly #alignable: boolean;
  /** Time and runs inside ONNX Runtime sessions per session name, for the overhead figures. */
  readonly sessionTotals = new Map<string, { seconds: number; runs: number }>();

  constructor(w: LoadedWhisper) {
    this.loaded = w;
    this.#gen = generationConfigOf<GenerationConfigLike>(w.model);
    this.tokens = { timestampBegin: this.#gen.no_timestamps_token_id + 1, eot: this.#gen.eos_token_id, noTimestamps: this.#gen.no_timestamps_token_id };
    this.#languages = languageTokenMap(this.#gen.lang_to_id ?? {});
    acceptEncoderOutputs(w.model);
    this.#instrumentSessions();
    const decoder = sessionsOf(w.model).decoder_model_merged;
    // Word timings need the cross-attention outputs (exported with `output_attentions`, or added
    // by the loader: models/attention-outputs.ts) and the alignment heads.
    this.#heads = alignmentHeads(this.#gen, configOf<WhisperDims>(w.model));
    this.#alignable = !!decoder?.outputNames?.some((n) => n.startsWith('cross_attentions')) && this.#heads.length > 0;
  }

  /** Whether transcripts get word timings (cross-attention outputs and alignment heads). */
  get alignable(): boolean {
    return this.#alignable;
  }

  get multilingual(): boolean {
    return this.#languages.size > 0;
  }

  /** Long-form transcription of a file (long-form.ts). */
  transcribe(original: Float32Array, options: FileOptions, onUpdate: (u: TranscribeUpdate) => void): Promise<TranscribeResult> {
    return transcribeFile(this, original, options, onUpdate);
  }

  /** One utterance of live audio (utterance.ts). */
  decodeUtterance(audio: Float32Array, options: UtteranceOptions): Promise<UtteranceDecode> {
    return decodeUtterance(this, audio, options);
  }

  #instrumentSessions() {
    const sessions = { ...sessionsOf(this.loaded.model), ...(this.loaded.step ? { decoder_step: this.loaded.step.session } : {}) };
    wrapSessionRuns(sessions, (name, run) => {
      const totals = { seconds: 0, runs: 0 };
      this.sessionTotals.set(name, totals);
      return (...args) =>
        withOrtLock(async () => {
          const t0 = performance.now();
          try {
            return await run(...args);
          } finally {
            totals.seconds += (performance.now() - t0) / 1000;
            totals.runs++;
          }
        });
    });
  }

  sessionSnapshot(): SessionSnapshot {
    const get = (name: string) => ({ ...(this.sessionTotals.get(name) ?? { seconds: 0, runs: 0 }) });
    const encoder = get('model');
    const merged = get('decoder_model_merged');
    const step = get('decoder_step');
    const decoder = { seconds: merged.seconds + step.seconds, runs: merged.runs + step.runs };
    let all = 0;
    for (const t of this.sessionTotals.values()) all += t.seconds;
    return { encoder, decoder, step, all };
  }

  features(window: Float32Array): Promise<Tensor> {
    return logMel(this.loaded.processor, window);
  }

  /** Encoder output for one window, so language ID and decoding share one encoder run. */
  async encode(features: Tensor): Promise<Tensor> {
    // transformers.js has no public "encode only" for Whisper; this is the step generate() itself runs.
    const model = internals(this.loaded.model);
    const out = await model._prepare_encoder_decoder_kwargs_for_generation({
      inputs_tensor: features,
      model_inputs: { input_features: features },
      model_input_name: 'input_features',
      generation_config: model.generation_config,
    });
    return out.encoder_outputs;
  }

  /** Language probabilities from the decoder's first step (its cross-attention cache kept for the step model). */
  async languageFrom(features: Tensor, encoderOutputs: Tensor): Promise<LanguageGuess[]> {
    const out = await internals(this.loaded.model).forward({
      input_features: features,
      encoder_outputs: encoderOutputs,
      decoder_input_ids: new Tensor('int64', BigInt64Array.from([BigInt(this.#gen.decoder_start_token_id)]), [1, 1]),
    });
    const kept = rememberCross(encoderOutputs, out, this.loaded.step);
    const logits = out.logits;
    const vocab = logits.dims[logits.dims.length - 1];
    const row = (logits.data as Float32Array).subarray(0, vocab);
    const guesses = languageProbabilities(row, this.#languages);
    for (const [name, t] of Object.entries(out)) if (name.startsWith('present') && !kept.has(t)) t.dispose?.();
    return guesses;
  }

  /** One encoder pass and one decoder step on silence: first-run allocations (WASM) and shader
   * compilation (WebGPU) happen at load time instead of in the user's first job. */
  async warmUp(): Promise<void> {
    const features = await this.features(new Float32Array(WHISPER_SAMPLE_RATE_HZ));
    await this.languageFrom(features, await this.encode(features));
  }

  /**
   * WASM, at load: run what a live session runs — passes (generate() on the merged decoder,
   * with its cached steps; the second with a prompt), a final's decode on its encoder output (the merged decoder over the
   * prompt and a draft, then steps on the step model), the alignment pass — on two seconds of
   * quiet noise, the end token held back for 8 tokens so the decoder steps run as on speech. Why:
   * V8 runs onnxruntime-web's kernels in its baseline tier first and compiles the hot ones again
   * in the background, so a page's first runs take several times their later time (the encoder
   * on 600 frames in Node: 1.1 s, then 0.5, 0.4, 0.2 s); a live session begun right after load
   * paid that in its first finals (2–6 s). Short inputs will do: the kernels are compiled per
   * function, whatever the shape (docs/performance.md, "Compiled code").
   */
  async warmUpWasm(): Promise<void> {
    let seed = 12345;
    const noise = new Float32Array(2 * WHISPER_SAMPLE_RATE_HZ).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 0.02);
    const options = { language: 'en', task: 'transcribe' as const, promptIds: [] as number[], forcedIds: [], isCancelled: () => false, minNewTokens: 8 };
    // Two passes, so each kernel's second call already runs on code V8 optimised after its first.
    // (Measured against one pass and against three encoder runs: first live finals 0.8–1.8 s,
    // 0.5–1.9 s and 0.6–1.5 s — within this machine's noise; docs/performance.md, "Compiled code".)
    const first = await this.decodeUtterance(noise, options);
    const pass = await this.decodeUtterance(noise, { ...options, promptIds: first.ids });
    const sot = this.prefix('en', 'transcribe');
    if (this.loaded.step) {
      await decodeWithDraft(this.loaded.model, this.special, {
        encoderOutputs: pass.encoderOutputs,
        prefix: [...this.promptPrefix(pass.ids), ...sot, this.tokens.noTimestamps],
        draft: pass.ids.slice(0, 4),
        suppressAtStart: true,
        maxNewTokens: 12,
        minNewTokens: 8,
        stopAt: () => false,
        isCancelled: () => false,
        step: this.loaded.step,
      });
    }
    await this.scoreText(pass.encoderOutputs, pass.ids, 'en', 'transcribe', noise.length, [], noise);
  }

  /** Identify the language from the first 30 s that are not silent. */
  async detectLanguage(audio: Float32Array): Promise<LanguageGuess[]> {
    if (!this.multilingual) return [{ code: 'en', probability: 1 }];
    let start = 0;
    while (start + WINDOW_SAMPLES < audio.length && isSilent(audio.subarray(start, start + WINDOW_SAMPLES))) start += WINDOW_SAMPLES;
    const features = await this.features(audio.subarray(start, start + WINDOW_SAMPLES));
    return this.languageFrom(features, await this.encode(features));
  }

  prefix(language: string, task: Task): number[] {
    const gen = this.#gen;
    if (!this.multilingual) return [gen.decoder_start_token_id];
    const lang = this.#languages.get(language);
    if (lang === undefined) throw Object.assign(new Error(`This model does not know the language “${language}”.`), { name: 'BadRequest' });
    return [gen.decoder_start_token_id, lang, gen.task_to_id?.[task] ?? gen.task_to_id!.transcribe];
  }

  /** Ids of a prompt text, as OpenAI's `initial_prompt`: a leading space, no special tokens. */
  encodePrompt(text: string): number[] {
    const trimmed = text.trim();
    return trimmed ? this.loaded.tokenizer.encode(` ${trimmed}`, { add_special_tokens: false }) : [];
  }

  /** `<|startofprev|>` and the most recent `MAX_PROMPT_TOKENS` of the prompt, or nothing. */
  promptPrefix(promptIds: readonly number[]): number[] {
    if (promptIds.length === 0) return [];
    const startOfPrev = tokenIdsOf(this.loaded.tokenizer).get('<|startofprev|>');
    if (startOfPrev === undefined) return [];
    return [startOfPrev, ...promptIds.slice(-MAX_PROMPT_TOKENS)];
  }

  /** `<|startofprev|>` + the user's prompt (always, OpenAI's `carry_initial_prompt`) + the most recent earlier text that fits. */
  filePrompt(user: readonly number[], previous: readonly number[]): number[] {
    const room = MAX_PROMPT_TOKENS - user.length;
    return this.promptPrefix(room > 0 ? [...user, ...previous.slice(-room)] : user);
  }

  decode(ids: readonly number[]): string {
    return ids.length ? this.loaded.tokenizer.decode(ids as number[], { skip_special_tokens: true }) : '';
  }

  #specialCache: SpecialTokens | null = null;

  /** The token ids OpenAI's logit filters need, read from this model's tokenizer and config. */
  get special(): SpecialTokens {
    if (this.#specialCache) return this.#specialCache;
    const ids = tokenIdsOf(this.loaded.tokenizer);
    const { eot, timestampBegin, noTimestamps } = this.tokens;
    const noSpeech = ids.get('<|nospeech|>') ?? ids.get('<|nocaptions|>') ?? null;
    const suppress = new Set<number>(generationConfigOf<{ suppress_tokens?: number[] }>(this.loaded.model).suppress_tokens ?? []);
    // Every special token between the end token and the timestamps (SOT, languages, tasks, prompt markers).
    for (let id = eot + 1; id < timestampBegin; id++) suppress.add(id);
    return (this.#specialCache = { eot, timestampBegin, noTimestamps, noSpeech, blank: this.loaded.tokenizer.encode(' ', { add_special_tokens: false }), suppress: [...suppress] });
  }

  /**
   * OpenAI's `decode_with_fallback`: temperature 0 first (greedy, or 5 beams for "best"); while
   * the text repeats itself (compression ratio > 2.4, or a loop) or the model is unsure of it
   * (average log-probability < −1), decode again hotter — unless the window looks like silence.
   */
  async decodeWithFallback(r: FallbackRequest): Promise<{ result: WindowDecodeResult; compressionRatio: number; fallbacks: number }> {
    const tried: { result: WindowDecodeResult; compressionRatio: number }[] = [];
    const temperatures = r.fallback ? DEFAULT_TEMPERATURES : [0];
    for (const [i, temperature] of temperatures.entries()) {
      const result = await decodeWindow(this.loaded.model, this.special, {
        encoderOutputs: r.encoderOutputs,
        prefix: r.prefix,
        sotIndex: r.sotIndex,
        timestamps: !r.textOnly,
        maxNewTokens: Math.min(MAX_NEW_TOKENS, DECODER_CONTEXT - r.prefix.length),
        temperature,
        candidates: r.accuracy === 'best' ? BEAM_SIZE : 1,
        seed: r.seed * 7 + i,
        isCancelled: r.isCancelled,
        onStep: r.onStep,
        beforeStep: yieldToEventLoop,
        step: this.loaded.step,
      });
      const ratio = compressionRatio(this.decode(result.tokens.filter((t) => t < this.tokens.eot)));
      const done = result.cancelled || !needsFallback({ avgLogprob: result.avgLogprob, compressionRatio: ratio, noSpeechProb: result.noSpeechProb, looped: result.looped });
      r.onDecode?.({ temperature, avgLogprob: result.avgLogprob, compressionRatio: ratio, noSpeechProb: result.noSpeechProb, looped: result.looped, textOnly: r.textOnly, promptTokens: r.sotIndex, tokens: result.tokens.length, fellBack: !done && i < temperatures.length - 1 });
      if (done) {
        return { result, compressionRatio: ratio, fallbacks: i };
      }
      tried.push({ result, compressionRatio: ratio });
    }
    // Every temperature failed. OpenAI keeps the hottest decode, which is often invented text;
    // faster-whisper keeps the likeliest of those that do not repeat themselves, and so do we.
    const sane = tried.filter((t) => t.compressionRatio <= COMPRESSION_RATIO_THRESHOLD && !t.result.looped);
    const best = (sane.length ? sane : tried).reduce((a, b) => (b.result.avgLogprob > a.result.avgLogprob ? b : a));
    return { ...best, fallbacks: tried.length - 1 };
  }

  /** Word times and probabilities for a window's settled text (null: the model has no cross-attention outputs). */
  async align(encoderOutputs: Tensor, sotSequence: number[], pieces: readonly { tokens: number[] }[], windowSamples: number, language: string): Promise<Word[][] | null> {
    const text = pieces.flatMap((p) => p.tokens);
    const aligned = await this.#alignTokens(encoderOutputs, sotSequence, text, windowSamples);
    if (!aligned) return null;
    let at = 0;
    return pieces.map((p) => {
      const words = groupWords(p.tokens, aligned.times.slice(at, at + p.tokens.length + 1), aligned.data.tokenProbs.slice(at, at + p.tokens.length), (ids) => this.decode(ids), language);
      at += p.tokens.length;
      return words;
    });
  }

  /** One alignment pass over `text` and the DTW token start times (null: no cross-attention outputs). */
  async #alignTokens(encoderOutputs: Tensor, sotSequence: readonly number[], text: readonly number[], samples: number) {
    if (text.length === 0 || !this.#alignable) return null;
    const frames = Math.min(1500, Math.ceil(samples / 320));
    const data = await alignmentPass(this.loaded.model, this.special, { encoderOutputs, sotSequence, textTokens: text, frames, alignmentHeads: this.#heads, step: this.loaded.step });
    if (!data) return null;
    const width = configOf<{ median_filter_width?: number }>(this.loaded.model).median_filter_width ?? 7;
    return { data, times: tokenStartTimes(alignmentCost(data.heads, text.length + 1, frames, width), text.length, frames) };
  }

  /**
   * Words for text the model cannot align (no cross-attention to read): spread over the speech
   * in `span` (seconds of `audio`) by their length, flagged approximate (approximate-words.ts).
   */
  spreadWords(ids: readonly number[], language: string, span: { start: number; end: number }, audio: Float32Array | null, probability: number): Word[] {
    const text = ids.filter((t) => t < this.tokens.eot);
    return approximateWords(text, (x) => this.decode(x), language, span, audio, round(probability, 4));
  }

  /**
   * The figures a file segment carries, for text decoded elsewhere (a live utterance's final):
   * one alignment pass gives the words with times and probabilities, the average
   * log-probability of the text (OpenAI's definition, end token included) and the no-speech
   * probability. Times are seconds from the start of the `samples` of audio encoded.
   */
  async scoreText(encoderOutputs: Tensor, ids: readonly number[], language: string, task: Task, samples: number, regions: readonly { start: number; end: number }[] = [], audio?: Float32Array) {
    const text = ids.filter((t) => t < this.tokens.eot);
    const aligned = await this.#alignTokens(encoderOutputs, this.prefix(language, task), text, samples);
    if (!aligned) return null;
    const { data, times } = aligned;
    const words = groupWords(text, times, data.tokenProbs, (x) => this.decode(x), language);
    return {
      avg_logprob: round(data.tokenLogprobs.reduce((a, b) => a + b, 0) / data.tokenLogprobs.length, 4),
      no_speech_prob: round(data.noSpeechProb, 4),
      temperature: 0,
      compression_ratio: round(compressionRatio(this.decode(text)), 4),
      words: audio ? snapToEnergy(regions.length ? snapToSpeech(words, regions) : words, audio) : regions.length ? snapToSpeech(words, regions) : words,
    };
  }
}
