/**
 * Long-form transcription over a loaded Whisper: 30 s windows advanced by the last settled
 * timestamp (see src/domain/transcript/window.ts), language identification from the decoder's
 * first step, streaming partial text, loop cutting and cooperative cancellation.
 *
 * Environment-agnostic on purpose: the worker drives it in the browser, and Node tests drive the
 * same code with transformers' Node build.
 */
import {
  BaseStreamer,
  StoppingCriteria,
  StoppingCriteriaList,
  Tensor,
} from '@huggingface/transformers';
import { TIME_PRECISION_S, WHISPER_SAMPLE_RATE_HZ, WINDOW_SAMPLES } from '../../../src/domain/audio/constants';
import { compactPauses, compactRanges, levelKeptRanges, toCompactSamples, toOriginalSeconds } from '../../../src/domain/audio/pauses';
import { firstUncovered, keptRanges, pauseMidpoints, speechRegions, unionRanges, windowEnd, type Range } from '../../../src/domain/audio/speech-regions';
import { isSilent } from '../../../src/domain/audio/silence';
import { snapToEnergy } from '../../../src/domain/audio/energy-edges';
import { alignmentCost, groupIntoSegments, groupWords, snapToSpeech, tokenStartTimes, type Word } from '../../../src/domain/transcript/alignment';
import { approximateWords } from '../../../src/domain/transcript/approximate-words';
import {
  BEAM_SIZE,
  COMPRESSION_RATIO_THRESHOLD,
  DEFAULT_TEMPERATURES,
  PROMPT_RESET_TEMPERATURE,
  compressionRatio,
  isNoSpeech,
  needsFallback,
  type SpecialTokens,
} from '../../../src/domain/transcript/decoding';
import { autoDecodingMode, type DecodingMode } from '../../../src/domain/models/decoding-mode';
import { languageProbabilities, languageTokenMap, preferLanguages } from '../../../src/domain/transcript/langid';
import { dropRepeatedSegments, findRepetitionLoop, secondCopyAt } from '../../../src/domain/transcript/repetition';
import type { LanguageGuess, Segment } from '../../../src/domain/transcript/types';
import { splitWindow, type TokenInfo } from '../../../src/domain/transcript/window';
import { alignmentPass, decodeWindow, decodeWithDraft, rememberCross, type WindowDecodeResult } from './decoder';
import { logMel } from './features';
import type { CachedStep, LoadedWhisper } from './model';
import { acceptEncoderOutputs, configOf, generationConfigOf, internals, sessionsOf, tokenIdsOf, withForwardHook, wrapSessionRuns } from './transformers-adapter';
import { withOrtLock } from '../runtime/ort-lock';
import type { Accuracy, Task, TranscribeResult, TranscribeUpdate } from '../protocol';
import { yieldToEventLoop } from '../runtime/yield';

/** OpenAI's `sample_len`: at most half the decoder context per window. */
const MAX_NEW_TOKENS = 224;
/** Whisper's decoder context (`max_target_positions`). */
const DECODER_CONTEXT = 448;
/** OpenAI's prompt limit: `n_text_ctx // 2 - 1` tokens after `<|startofprev|>`. */
export const MAX_PROMPT_TOKENS = DECODER_CONTEXT / 2 - 1;
const UPDATE_INTERVAL_MS = 100;

export type { CachedStep, LoadedWhisper };

interface GenerationConfigLike {
  decoder_start_token_id: number;
  eos_token_id: number;
  no_timestamps_token_id: number;
  lang_to_id?: Record<string, number>;
  task_to_id?: Record<string, number>;
  is_multilingual?: boolean;
}

class FlagCriteria extends StoppingCriteria {
  constructor(private readonly shouldStop: () => boolean) {
    super();
  }
  // The ids are bigint at run time (typed number[][] upstream); only the row count is used.
  override _call(inputIds: number[][]): boolean[] {
    return inputIds.map(() => this.shouldStop());
  }
}

class CallbackStreamer extends BaseStreamer {
  #first = true;
  constructor(private readonly onToken: (id: number) => void) {
    super();
  }
  override put(value: bigint[][]) {
    // The first call carries the prompt/prefix tokens, not generated ones.
    if (this.#first) {
      this.#first = false;
      return;
    }
    for (const row of value) for (const id of row) this.onToken(Number(id));
  }
  override end() {}
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

export class WhisperEngine {
  readonly #w: LoadedWhisper;
  readonly #gen: GenerationConfigLike;
  readonly #info: TokenInfo;
  readonly #languages: Map<string, number>;
  /** Time and runs inside ONNX Runtime sessions per session name, for the overhead figures. */
  readonly sessionTotals = new Map<string, { seconds: number; runs: number }>();

  constructor(w: LoadedWhisper) {
    this.#w = w;
    this.#gen = generationConfigOf<GenerationConfigLike>(w.model);
    this.#info = { timestampBegin: this.#gen.no_timestamps_token_id + 1, eot: this.#gen.eos_token_id };
    this.#languages = languageTokenMap(this.#gen.lang_to_id ?? {});
    acceptEncoderOutputs(w.model);
    this.#instrumentSessions();
    const decoder = sessionsOf(w.model).decoder_model_merged;
    // Word timings need the cross-attention outputs (exported with `output_attentions`, or added
    // by the loader: models/attention-outputs.ts) and the alignment heads.
    this.#heads = alignmentHeads(this.#gen as { alignment_heads?: [number, number][] }, configOf<WhisperDims>(w.model));
    this.#alignable = !!decoder?.outputNames?.some((n) => n.startsWith('cross_attentions')) && this.#heads.length > 0;
  }

  /** Whether transcripts get word timings (cross-attention outputs and alignment heads). */
  get alignable(): boolean {
    return this.#alignable;
  }

  get multilingual(): boolean {
    return this.#languages.size > 0;
  }

  #instrumentSessions() {
    const sessions = { ...sessionsOf(this.#w.model), ...(this.#w.step ? { decoder_step: this.#w.step.session } : {}) };
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

  #snapshot() {
    const get = (name: string) => ({ ...(this.sessionTotals.get(name) ?? { seconds: 0, runs: 0 }) });
    const encoder = get('model');
    const merged = get('decoder_model_merged');
    const step = get('decoder_step');
    const decoder = { seconds: merged.seconds + step.seconds, runs: merged.runs + step.runs };
    let all = 0;
    for (const t of this.sessionTotals.values()) all += t.seconds;
    return { encoder, decoder, step, all };
  }

  #features(window: Float32Array): Promise<Tensor> {
    return logMel(this.#w.processor, window);
  }

  /** Whether the model has run at least once (the first run pays for allocations/compilation). */
  warm = false;

  /** Encoder output for one window, so language ID and decoding share one encoder run. */
  async #encode(features: Tensor): Promise<Tensor> {
    this.warm = true;
    // transformers.js has no public "encode only" for Whisper; this is the step generate() itself runs.
    const model = internals(this.#w.model);
    const out = await model._prepare_encoder_decoder_kwargs_for_generation({
      inputs_tensor: features,
      model_inputs: { input_features: features },
      model_input_name: 'input_features',
      generation_config: model.generation_config,
    });
    return out.encoder_outputs;
  }

  async #languageFrom(features: Tensor, encoderOutputs: Tensor): Promise<LanguageGuess[]> {
    const out = await internals(this.#w.model).forward({
      input_features: features,
      encoder_outputs: encoderOutputs,
      decoder_input_ids: new Tensor('int64', BigInt64Array.from([BigInt(this.#gen.decoder_start_token_id)]), [1, 1]),
    });
    const kept = rememberCross(encoderOutputs, out, this.#w.step);
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
    const features = await this.#features(new Float32Array(WHISPER_SAMPLE_RATE_HZ));
    await this.#languageFrom(features, await this.#encode(features));
  }

  /** Identify the language from the first 30 s that are not silent. */
  async detectLanguage(audio: Float32Array): Promise<LanguageGuess[]> {
    if (!this.multilingual) return [{ code: 'en', probability: 1 }];
    let start = 0;
    while (start + WINDOW_SAMPLES < audio.length && isSilent(audio.subarray(start, start + WINDOW_SAMPLES))) start += WINDOW_SAMPLES;
    const features = await this.#features(audio.subarray(start, start + WINDOW_SAMPLES));
    const enc = await this.#encode(features);
    return this.#languageFrom(features, enc);
  }

  #prefix(language: string, task: Task): number[] {
    const gen = this.#gen;
    if (!this.multilingual) return [gen.decoder_start_token_id];
    const lang = this.#languages.get(language);
    if (lang === undefined) throw Object.assign(new Error(`This model does not know the language “${language}”.`), { name: 'BadRequest' });
    return [gen.decoder_start_token_id, lang, gen.task_to_id?.[task] ?? gen.task_to_id!.transcribe];
  }

  /** Ids of a prompt text, as OpenAI's `initial_prompt`: a leading space, no special tokens. */
  encodePrompt(text: string): number[] {
    const trimmed = text.trim();
    return trimmed ? this.#w.tokenizer.encode(` ${trimmed}`, { add_special_tokens: false }) : [];
  }

  /** `<|startofprev|>` and the most recent `MAX_PROMPT_TOKENS` of the prompt, or nothing. */
  #promptPrefix(promptIds: readonly number[]): number[] {
    if (promptIds.length === 0) return [];
    const startOfPrev = tokenIdsOf(this.#w.tokenizer).get('<|startofprev|>');
    if (startOfPrev === undefined) return [];
    return [startOfPrev, ...promptIds.slice(-MAX_PROMPT_TOKENS)];
  }

  /**
   * Let queued messages run between decoder steps (see yieldToEventLoop): a cancel, and in a
   * live session the microphone frames and the VAD.
   */
  async #yieldingBetweenSteps<T>(fn: () => Promise<T>): Promise<T> {
    return withForwardHook(this.#w.model, yieldToEventLoop, fn);
  }

  /**
   * Decode one utterance of live audio (≤ 30 s, no timestamps). `forcedIds` are text tokens
   * already settled: they are fed as decoder input, and generation continues after them.
   * `draft`: what likely follows them (the last pass's tentative text), checked in one pass on the
   * step model where there is one (decodeWithDraft); without a step model (WebGPU, `?decoder=merged`)
   * the decode is transformers.js's generate() on the merged decoder. Returns all text tokens (forced + new).
   */
  async decodeUtterance(
    audio: Float32Array,
    options: {
      language: string;
      task: Task;
      promptIds: readonly number[];
      forcedIds: readonly number[];
      draft?: readonly number[];
      isCancelled: () => boolean;
      /** The utterance's final text (not a tentative pass): decoded again on the whole window rather than cut when it says a phrase twice. */
      final?: boolean;
    },
  ): Promise<UtteranceDecode> {
    const features = await this.#features(audio.subarray(0, WINDOW_SAMPLES));
    if (!this.#w.anyLengthEncoder) return this.#decodeUtterance(features, features, audio.length, options);
    // Most of the window's padding left out (see LIVE_PADDING_FRAMES). With less padding Whisper
    // more often says a phrase twice at the end of audio that stops mid-speech (a pass). A pass's
    // text is cut before the second copy (it is tentative, and the next pass hears more); a
    // final's is decoded again on the whole window.
    const short = await this.#decodeUtterance(features, leadingFrames(features, audio.length / HOP_SAMPLES + LIVE_PADDING_FRAMES), audio.length, options);
    const twice = short.cancelled ? -1 : secondCopyAt(short.ids, options.forcedIds.length);
    if (twice < 0) return short;
    if (!options.final) return { ...short, ids: short.ids.slice(0, twice) };
    return this.#decodeUtterance(features, features, audio.length, options);
  }

  async #decodeUtterance(features: Tensor, encoderInput: Tensor, samples: number, options: Parameters<WhisperEngine['decodeUtterance']>[1]): Promise<UtteranceDecode> {
    const encoderOutputs = await this.#encode(encoderInput);
    let language = this.multilingual ? options.language : 'en';
    let guesses: LanguageGuess[] | null = null;
    if (language === 'auto') {
      guesses = await this.#languageFrom(features, encoderOutputs);
      language = guesses[0].code;
    }
    const prefix = [
      ...this.#promptPrefix(options.promptIds),
      ...this.#prefix(language, options.task),
      this.#gen.no_timestamps_token_id,
      ...options.forcedIds,
    ];
    // No more text than the audio can hold: a decode that loops stops there, not after 224 tokens
    // (generate() ignores the stopping criteria, so a loop would hold the worker for seconds).
    const room = Math.ceil((samples / WHISPER_SAMPLE_RATE_HZ) * LIVE_TOKENS_PER_SECOND) + LIVE_TOKENS_SLACK - options.forcedIds.length;
    const maxNewTokens = Math.max(1, Math.min(MAX_NEW_TOKENS, DECODER_CONTEXT - prefix.length, room));
    if (this.#w.step && options.draft) {
      const r = await decodeWithDraft(this.#w.model, this.special, {
        encoderOutputs,
        prefix,
        draft: options.draft,
        suppressAtStart: options.forcedIds.length === 0,
        maxNewTokens,
        stopAt: (tokens) => findRepetitionLoop([...options.forcedIds, ...tokens]) >= 0,
        isCancelled: options.isCancelled,
        beforeStep: yieldToEventLoop,
        step: this.#w.step,
      });
      // As generate()'s streamer: a timestamp token the model may still pick is not text.
      const all = [...options.forcedIds, ...r.tokens.filter((t) => t < this.#info.timestampBegin)];
      const loopAt = findRepetitionLoop(all);
      return { ids: loopAt >= 0 ? all.slice(0, loopAt) : all, language, guesses, cancelled: r.cancelled, encoderOutputs, draftAccepted: r.accepted, steps: r.steps };
    }
    const ids = [...options.forcedIds];
    let cancelled = false;
    let loopAt = -1;
    const stopping = new StoppingCriteriaList();
    stopping.push(
      new FlagCriteria(() => {
        if (options.isCancelled()) return (cancelled = true);
        loopAt = findRepetitionLoop(ids);
        return loopAt >= 0;
      }),
    );
    await this.#yieldingBetweenSteps(() =>
      this.#w.model.generate({
        inputs: features,
        encoder_outputs: encoderOutputs,
        decoder_input_ids: prefix,
        return_timestamps: false,
        max_new_tokens: maxNewTokens,
        // After forced text the model may end at once; "no end at the first step" is for empty starts.
        ...(options.forcedIds.length ? { begin_suppress_tokens: null } : {}),
        stopping_criteria: stopping,
        streamer: new CallbackStreamer((id) => {
          if (id !== this.#info.eot && id < this.#info.timestampBegin) ids.push(id);
        }),
      } as never),
    );
    return { ids: loopAt >= 0 ? ids.slice(0, loopAt) : ids, language, guesses, cancelled, encoderOutputs, draftAccepted: 0, steps: ids.length - options.forcedIds.length + 1 };
  }

  decode(ids: readonly number[]): string {
    return ids.length ? this.#w.tokenizer.decode(ids as number[], { skip_special_tokens: true }) : '';
  }

  #specialCache: SpecialTokens | null = null;

  /** The token ids OpenAI's logit filters need, read from this model's tokenizer and config. */
  get special(): SpecialTokens {
    if (this.#specialCache) return this.#specialCache;
    const ids = tokenIdsOf(this.#w.tokenizer);
    const eot = this.#info.eot;
    const timestampBegin = this.#info.timestampBegin;
    const noSpeech = ids.get('<|nospeech|>') ?? ids.get('<|nocaptions|>') ?? null;
    const suppress = new Set<number>(generationConfigOf<{ suppress_tokens?: number[] }>(this.#w.model).suppress_tokens ?? []);
    // Every special token between the end token and the timestamps (SOT, languages, tasks, prompt markers).
    for (let id = eot + 1; id < timestampBegin; id++) suppress.add(id);
    return (this.#specialCache = {
      eot,
      timestampBegin,
      noTimestamps: this.#gen.no_timestamps_token_id,
      noSpeech,
      blank: this.#w.tokenizer.encode(' ', { add_special_tokens: false }),
      suppress: [...suppress],
    });
  }

  /** `<|startofprev|>` + the user's prompt (always, OpenAI's `carry_initial_prompt`) + the most recent earlier text that fits. */
  #filePrompt(user: readonly number[], previous: readonly number[]): number[] {
    const room = MAX_PROMPT_TOKENS - user.length;
    return this.#promptPrefix(room > 0 ? [...user, ...previous.slice(-room)] : user);
  }

  /**
   * OpenAI's `decode_with_fallback`: temperature 0 first (greedy, or 5 beams for "best"); while
   * the text repeats itself (compression ratio > 2.4, or a loop) or the model is unsure of it
   * (average log-probability < −1), decode again hotter — unless the window looks like silence.
   */
  async #decodeWithFallback(
    encoderOutputs: Tensor,
    prefix: number[],
    sotIndex: number,
    textOnly: boolean,
    accuracy: Accuracy,
    seed: number,
    fallback: boolean,
    isCancelled: () => boolean,
    onStep: (tokens: readonly number[]) => void,
  ): Promise<{ result: WindowDecodeResult; compressionRatio: number; fallbacks: number }> {
    const tried: { result: WindowDecodeResult; compressionRatio: number }[] = [];
    for (const [i, temperature] of (fallback ? DEFAULT_TEMPERATURES : [0]).entries()) {
      const result = await decodeWindow(this.#w.model, this.special, {
        encoderOutputs,
        prefix,
        sotIndex,
        timestamps: !textOnly,
        maxNewTokens: Math.min(MAX_NEW_TOKENS, DECODER_CONTEXT - prefix.length),
        temperature,
        candidates: accuracy === 'best' ? BEAM_SIZE : 1,
        seed: seed * 7 + i,
        isCancelled,
        onStep,
        beforeStep: yieldToEventLoop,
        step: this.#w.step,
      });
      const ratio = compressionRatio(this.decode(result.tokens.filter((t) => t < this.#info.eot)));
      if (result.cancelled || !needsFallback({ avgLogprob: result.avgLogprob, compressionRatio: ratio, noSpeechProb: result.noSpeechProb, looped: result.looped })) {
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
  async #align(encoderOutputs: Tensor, sotSequence: number[], pieces: readonly { tokens: number[] }[], windowSamples: number, language: string) {
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
    const heads = this.#heads;
    if (text.length === 0 || !this.#alignable) return null;
    const frames = Math.min(1500, Math.ceil(samples / 320));
    const data = await alignmentPass(this.#w.model, this.special, { encoderOutputs, sotSequence, textTokens: text, frames, alignmentHeads: heads, step: this.#w.step });
    if (!data) return null;
    const width = configOf<{ median_filter_width?: number }>(this.#w.model).median_filter_width ?? 7;
    return { data, times: tokenStartTimes(alignmentCost(data.heads, text.length + 1, frames, width), text.length, frames) };
  }

  #alignable: boolean;
  readonly #heads: [number, number][];

  /**
   * Words for text the model cannot align (no cross-attention to read): spread over the speech
   * in `span` (seconds of `audio`) by their length, flagged approximate (approximate-words.ts).
   */
  spreadWords(ids: readonly number[], language: string, span: { start: number; end: number }, audio: Float32Array | null, probability: number): Word[] {
    const text = ids.filter((t) => t < this.#info.eot);
    return approximateWords(text, (x) => this.decode(x), language, span, audio, round(probability, 4));
  }

  /**
   * The figures a file segment carries, for text decoded elsewhere (a live utterance's final):
   * one alignment pass gives the words with times and probabilities, the average
   * log-probability of the text (OpenAI's definition, end token included) and the no-speech
   * probability. Times are seconds from the start of the `samples` of audio encoded.
   */
  async scoreText(encoderOutputs: Tensor, ids: readonly number[], language: string, task: Task, samples: number, regions: readonly { start: number; end: number }[] = [], audio?: Float32Array) {
    const text = ids.filter((t) => t < this.#info.eot);
    const aligned = await this.#alignTokens(encoderOutputs, this.#prefix(language, task), text, samples);
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

  /**
   * Long-form transcription of a file. Windows are planned from voice activity (Silero
   * probabilities in `speech`, else the signal level): long pauses lose their middle, a window
   * ends in a pause when one falls inside its 30 s, and after each window the speech it settled
   * must be covered by decoded words — speech the model jumped over is decoded again, in a
   * window that ends just before it or holds only it.
   */
  async transcribe(original: Float32Array, options: FileOptions, onUpdate: (u: TranscribeUpdate) => void): Promise<TranscribeResult> {
    const started = performance.now();
    const before = this.#snapshot();
    const SR = WHISPER_SAMPLE_RATE_HZ;
    const duration = original.length / SR;
    const accuracy = options.accuracy ?? 'fast';
    const mode = options.mode ?? autoDecodingMode(this.multilingual, accuracy);
    const { audio, spans, regions, pauses } = planAudio(original, options.speech);
    const toOriginal = (compactSeconds: number) => toOriginalSeconds(spans, compactSeconds);
    const decode = (ids: number[]) => this.decode(ids);

    let language: string | null = options.language === 'auto' ? null : options.language;
    let guesses: LanguageGuess[] | null = null;
    if (!this.multilingual) language = 'en';

    const segments: Segment[] = [];
    /** The segments as the last update left them on the page. */
    let sent: Segment[] = [];
    const previousText: number[] = [...(options.previousIds ?? [])];
    let promptResetSince = 0;
    let seek = 0; // samples of the shortened audio
    let partial = '';
    let cancelled = false;
    const counts = { windows: 0, skipped: 0, tokens: 0, loopsCut: 0, fallbacks: 0, redecodes: 0, noSpeech: 0 };
    let lastUpdate = 0;

    // Progress never moves backwards on screen, even when a window's last (unfinished)
    // segment reached further than where the next window resumes.
    let shownSeconds = 0;
    const update = (compactSeconds: number, force = false) => {
      // The end of the decoded audio is the end of the file (trailing silence was never decoded).
      const at = compactSeconds * SR >= audio.length ? duration : toOriginal(compactSeconds);
      shownSeconds = Math.min(duration, Math.max(shownSeconds, at));
      const now = performance.now();
      if (!force && now - lastUpdate < UPDATE_INTERVAL_MS) return;
      lastUpdate = now;
      const settledSeconds = seek >= audio.length ? duration : Math.min(duration, toOriginal(seek / SR));
      // Only what changed since the last update crosses to the page (a window's repeats check
      // may have dropped a segment it had already sent: then from there on).
      let from = 0;
      while (from < sent.length && from < segments.length && sent[from] === segments[from]) from++;
      sent = segments.slice();
      onUpdate({ segments: segments.slice(from), segmentsFrom: from, partial, processedSeconds: shownSeconds, settledSeconds, language, languageGuesses: guesses });
    };

    const userPrompt = options.promptIds ?? [];
    const context = options.context ?? true;
    const pauseSet = new Set(pauses);
    while (seek < audio.length) {
      if (options.isCancelled()) {
        cancelled = true;
        break;
      }
      let end = windowEnd(seek, audio.length, pauses, WINDOW_SAMPLES, MIN_WINDOW_SAMPLES);
      let attempts = 0;
      for (;;) {
        const window = audio.subarray(seek, end);
        const windowSeconds = window.length / SR;
        const offset = seek / SR;
        if (isSilent(window) || windowSeconds < 0.1) {
          counts.skipped++;
          seek = end;
          update(seek / SR, true);
          break;
        }
        const features = await this.#features(window);
        const encoderOutputs = await this.#encode(features);
        if (language === null) {
          guesses = preferLanguages(await this.#languageFrom(features, encoderOutputs), options.preferredLanguages ?? []);
          language = guesses[0].code;
        }
        // A window that ends in a pause (or at the end) is decoded whole, as text only: timestamp
        // tokens cost tiny.en about a point of WER on our clips, and the word timings give the
        // segments their times. A window cut at 30 s inside speech needs Whisper's timestamps to
        // know where its last whole segment ended.
        const textOnly = this.#alignable && mode !== 'timestamps' && (end >= audio.length || pauseSet.has(end) || attempts > 0);
        const sotSequence = this.#prefix(language, options.task);
        const earlier = context ? previousText.slice(promptResetSince) : [];
        const promptPart = this.#filePrompt(userPrompt, textOnly ? earlier.filter((t) => t < this.#info.eot) : earlier);
        const prefix = [...promptPart, ...sotSequence, ...(textOnly ? [this.#gen.no_timestamps_token_id] : [])];
        const { result, compressionRatio: ratio, fallbacks } = await this.#decodeWithFallback(
          encoderOutputs,
          prefix,
          promptPart.length,
          textOnly,
          accuracy,
          counts.windows,
          options.fallback ?? true,
          options.isCancelled,
          (tokens) => {
            let lastTs = 0;
            for (let i = tokens.length - 1; i >= 0; i--) {
              if (tokens[i] >= this.#info.timestampBegin) {
                lastTs = (tokens[i] - this.#info.timestampBegin) * TIME_PRECISION_S;
                break;
              }
            }
            partial = decode(tokens.filter((t) => t < this.#info.eot));
            update(offset + Math.min(lastTs, windowSeconds));
          },
        );
        counts.windows++;
        counts.fallbacks += fallbacks;
        counts.tokens += result.tokens.length;
        if (result.cancelled) cancelled = true;
        partial = '';

        if (!cancelled && isNoSpeech(result)) {
          // OpenAI's no-speech gate: the window is silence whatever text came out.
          counts.noSpeech++;
          seek = end;
          update(seek / SR, true);
          break;
        }
        let tokens = result.tokens;
        if (result.looped) {
          // Still looping at the last temperature: keep the text up to the first repeat.
          counts.loopsCut++;
          const text = tokens.filter((t) => t < this.#info.eot);
          const at = findRepetitionLoop(text);
          let seen = 0;
          const cut = at >= 0 ? tokens.findIndex((t) => t < this.#info.eot && ++seen > at) : -1;
          if (cut >= 0) tokens = tokens.slice(0, cut);
        }
        // Cancelled inside a text-only window: none of it is settled (no timestamps say how far it got).
        const split = cancelled && textOnly ? { pieces: [], advance: 0 } : splitWindow(tokens, this.#info, windowSeconds);
        const advance = result.looped || cancelled ? windowSeconds : split.advance;
        const regionsHere = regions.map((r) => ({ start: r.start / SR - offset, end: r.end / SR - offset }));
        // Word edges out of silence: Silero's regions first, then the signal's own 10 ms envelope.
        const words = (await this.#align(encoderOutputs, sotSequence, split.pieces, window.length, language))?.map((w) => snapToEnergy(regions.length ? snapToSpeech(w, regionsHere) : w, window));

        // Speech the window settled but no word landed on: decode it again (at most twice).
        const settled = cancelled ? (split.pieces.at(-1)?.end ?? 0) : advance;
        const landed = words ? words.flat() : split.pieces.map((p) => ({ start: p.start, end: p.end }));
        const gap = cancelled ? null : firstUncovered(regionsHere, landed, 0, settled);
        if (gap && attempts < MAX_REDECODES) {
          const newEnd = gap.start > 1 ? seek + Math.round((gap.start - 0.1) * SR) : seek + Math.round(Math.min(windowSeconds, gap.end + 0.3) * SR);
          if (newEnd < end) {
            attempts++;
            counts.redecodes++;
            end = newEnd;
            continue;
          }
        }

        const figures = {
          avg_logprob: round(result.avgLogprob, 4),
          no_speech_prob: round(result.noSpeechProb, 4),
          temperature: result.temperature,
          compression_ratio: round(ratio, 4),
        };
        const toWord = (w: Word, lo: number, hi: number): Word => {
          const ws = Math.min(hi, Math.max(lo, toOriginal(offset + w.start)));
          const word: Word = { word: w.word, start: round(ws, 3), end: round(Math.min(hi, Math.max(ws, toOriginal(offset + w.end))), 3), probability: round(w.probability, 4) };
          if (w.approximate) word.approximate = true;
          return word;
        };
        if (textOnly && words?.[0]?.length) {
          // Segments from the words: sentence ends and pauses between words.
          for (const group of groupIntoSegments(words[0])) {
            const floor = segments.length ? segments[segments.length - 1].end : 0;
            const start = Math.min(duration, Math.max(floor, toOriginal(offset + group[0].start)));
            const segEnd = Math.min(duration, Math.max(start, toOriginal(offset + group[group.length - 1].end)));
            segments.push({ start, end: segEnd, text: group.map((w) => w.word).join(''), ...figures, words: group.map((w) => toWord(w, start, segEnd)) });
          }
          previousText.push(...split.pieces.flatMap((p) => p.tokens));
        } else {
          split.pieces.forEach((piece, i) => {
            const text = decode(piece.tokens);
            if (text.trim() === '') return;
            // Never earlier than the text before it, never past the end of the audio.
            const floor = segments.length ? segments[segments.length - 1].end : 0;
            const start = Math.min(duration, Math.max(floor, toOriginal(offset + piece.start)));
            const segEnd = Math.min(duration, Math.max(start, toOriginal(offset + piece.end)));
            const segment: Segment = { start, end: segEnd, text, ...figures };
            // No alignment from this model: words spread over the segment's speech, flagged approximate.
            const timed = words ? words[i] : this.spreadWords(piece.tokens, language ?? '', piece, window, Math.exp(result.avgLogprob));
            if (timed.length) segment.words = timed.map((w) => toWord(w, start, segEnd));
            segments.push(segment);
            // As OpenAI: the segment with its timestamps (a prompt of bare text teaches the model to stop timing).
            const ts = (seconds: number) => this.#info.timestampBegin + Math.round(seconds / TIME_PRECISION_S);
            previousText.push(ts(piece.start), ...piece.tokens, ts(piece.end));
          });
        }
        const deduped = dropRepeatedSegments(segments);
        segments.splice(0, segments.length, ...deduped);
        if (result.temperature > PROMPT_RESET_TEMPERATURE) promptResetSince = previousText.length;
        seek += cancelled ? Math.round(settled * SR) : Math.max(1, Math.round(advance * SR));
        update(seek / SR, true);
        break;
      }
      if (cancelled) break;
    }

    const processedSeconds = seek >= audio.length ? duration : Math.min(duration, toOriginal(seek / SR));
    const after = this.#snapshot();
    return {
      segments,
      segmentsFrom: 0,
      partial: '',
      processedSeconds,
      settledSeconds: processedSeconds,
      language,
      languageGuesses: guesses,
      cancelled,
      loopsCut: counts.loopsCut,
      stats: {
        windows: counts.windows,
        skippedSilentWindows: counts.skipped,
        tokens: counts.tokens,
        fallbacks: counts.fallbacks,
        redecodes: counts.redecodes,
        noSpeechWindows: counts.noSpeech,
        seconds: (performance.now() - started) / 1000,
        sessionSeconds: after.all - before.all,
        encoderSeconds: after.encoder.seconds - before.encoder.seconds,
        encoderRuns: after.encoder.runs - before.encoder.runs,
        decoderSeconds: after.decoder.seconds - before.decoder.seconds,
        decoderRuns: after.decoder.runs - before.decoder.runs,
        stepSeconds: after.step.seconds - before.step.seconds,
        stepRuns: after.step.runs - before.step.runs,
      },
    };
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A window ends in a pause only if that leaves it at least this long. */
const MIN_WINDOW_SAMPLES = 5 * WHISPER_SAMPLE_RATE_HZ;

interface UtteranceDecode {
  ids: number[];
  language: string;
  guesses: LanguageGuess[] | null;
  cancelled: boolean;
  encoderOutputs: Tensor;
  draftAccepted: number;
  steps: number;
}

/**
 * Text tokens per second of audio a live decode may produce, plus a few: fast English is about 4,
 * Mandarin up to about 8 (a character is one or two tokens).
 */
const LIVE_TOKENS_PER_SECOND = 12;
const LIVE_TOKENS_SLACK = 10;

/** Samples per mel frame (two per encoder frame). */
const HOP_SAMPLES = 160;
/**
 * Mel frames of the window's padding a live utterance is encoded with (10 s; docs/performance.md,
 * part 3). On whole clips 1–3 s is enough, but audio that stops mid-speech (every pass while the
 * person talks) then makes tiny.en say its last phrase again on some clips, and passes that loop
 * settle the loop: with 3 s the live test's WER was 16.7 % even with the repeat guard; with 10 s
 * 6.2–9.6 % against the file path's 8.1 %. 3 s for audio ending in silence only (finals and the
 * pass likely to be one) cut the median latency to about 0.9 s but scored 12.0 %.
 */
const LIVE_PADDING_FRAMES = 1000;

/** The first `frames` mel frames of a window's features (rounded up to even: the encoder's stride-2 convolution), at most all of them. */
function leadingFrames(features: Tensor, frames: number): Tensor {
  const [batch, mels, all] = features.dims;
  const n = Math.min(all, 2 * Math.ceil(frames / 2));
  if (n === all) return features;
  const src = features.data as Float32Array;
  const dst = new Float32Array(batch * mels * n);
  for (let row = 0; row < batch * mels; row++) dst.set(src.subarray(row * all, row * all + n), row * n);
  return new Tensor('float32', dst, [batch, mels, n]);
}
/** Re-decodes of one window when speech was jumped over. */
const MAX_REDECODES = 2;

export interface FileOptions {
  language: string;
  task: Task;
  promptIds?: readonly number[];
  isCancelled: () => boolean;
  /** Silero speech probability per 512-sample frame of the audio; without it pauses are found from the level. */
  speech?: Float32Array;
  /** `fast`: greedy; `best`: 5 beams at temperature 0 and best of 5 samples above. */
  accuracy?: Accuracy;
  /** Give each window the text before it as prompt (OpenAI's `condition_on_previous_text`). */
  context?: boolean;
  /** Temperature fallback (default on). */
  fallback?: boolean;
  /** The user's languages (UI and browser): they win when Whisper is unsure (see `preferLanguages`). */
  preferredLanguages?: readonly string[];
  /** Text tokens of what came before this audio (a resumed job), the first window's context. */
  previousIds?: readonly number[];
  /** Decoding mode (`DecodingMode`); by default Auto's choice for the model and accuracy (`autoDecodingMode`). */
  mode?: DecodingMode;
}

export type { DecodingMode };

/**
 * What to decode: with voice activity, speech plus margins with long pauses shortened, the
 * speech regions and the pauses between them in the shortened audio; without, the level-based
 * pause compaction and no regions (no coverage check).
 */
function planAudio(original: Float32Array, speech: Float32Array | undefined) {
  if (!speech) {
    const { audio, spans } = compactPauses(original);
    const pauses = spans.slice(1).map((s) => s.compactStart);
    return { audio, spans, regions: [] as Range[], pauses };
  }
  const found = speechRegions(speech, original.length);
  // Audio is dropped only where the VAD and the signal level both say pause: Silero misses
  // quiet or clipped words now and then, and a word cut out of the audio is lost for good.
  const kept = unionRanges(keptRanges(found, original.length), found.length ? levelKeptRanges(original) : []);
  if (kept.length === 0) return { audio: new Float32Array(0), spans: [{ start: 0, compactStart: 0, length: 0 }], regions: [], pauses: [] };
  const { audio, spans } = compactRanges(original, kept);
  const regions = found.map((r) => ({ start: toCompactSamples(spans, r.start), end: toCompactSamples(spans, r.end) }));
  return { audio, spans, regions, pauses: pauseMidpoints(regions) };
}
