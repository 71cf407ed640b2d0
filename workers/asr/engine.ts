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
  type PreTrainedTokenizer,
  type Processor,
  type WhisperForConditionalGeneration,
} from '@huggingface/transformers';
import { TIME_PRECISION_S, WHISPER_SAMPLE_RATE_HZ, WINDOW_SAMPLES } from '../../src/domain/audio/constants';
import { compactPauses, toOriginalSeconds } from '../../src/domain/audio/pauses';
import { isSilent } from '../../src/domain/audio/silence';
import { languageProbabilities, languageTokenMap } from '../../src/domain/transcript/langid';
import { dropRepeatedSegments, findRepetitionLoop } from '../../src/domain/transcript/repetition';
import type { LanguageGuess, Segment } from '../../src/domain/transcript/types';
import { splitWindow, type TokenInfo } from '../../src/domain/transcript/window';
import { logMel } from './features';
import { withOrtLock } from './ort-lock';
import type { Task, TranscribeResult, TranscribeUpdate } from './protocol';

/** OpenAI's `sample_len`: at most half the decoder context per window. */
const MAX_NEW_TOKENS = 224;
/** Whisper's decoder context (`max_target_positions`). */
const DECODER_CONTEXT = 448;
/** OpenAI's prompt limit: `n_text_ctx // 2 - 1` tokens after `<|startofprev|>`. */
export const MAX_PROMPT_TOKENS = DECODER_CONTEXT / 2 - 1;
const UPDATE_INTERVAL_MS = 100;

export interface LoadedWhisper {
  model: WhisperForConditionalGeneration;
  processor: Processor;
  tokenizer: PreTrainedTokenizer;
}

interface GenerationConfigLike {
  decoder_start_token_id: number;
  eos_token_id: number;
  no_timestamps_token_id: number;
  lang_to_id?: Record<string, number>;
  task_to_id?: Record<string, number>;
  is_multilingual?: boolean;
}

/**
 * Let queued messages (a `cancel` from the UI) run between decoder steps. ONNX Runtime's
 * `run()` settles through microtasks only, so without this a cancel would wait for the window
 * to finish. A MessageChannel round trip is used instead of setTimeout, which browsers clamp to
 * 4 ms when nested (that would add 4 ms to every token).
 */
function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
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

export class WhisperEngine {
  readonly #w: LoadedWhisper;
  readonly #gen: GenerationConfigLike;
  readonly #info: TokenInfo;
  readonly #languages: Map<string, number>;
  /** Time and runs inside ONNX Runtime sessions per session name, for the overhead figures. */
  readonly sessionTotals = new Map<string, { seconds: number; runs: number }>();

  constructor(w: LoadedWhisper) {
    this.#w = w;
    this.#gen = w.model.generation_config as unknown as GenerationConfigLike;
    this.#info = { timestampBegin: this.#gen.no_timestamps_token_id + 1, eot: this.#gen.eos_token_id };
    this.#languages = languageTokenMap(this.#gen.lang_to_id ?? {});
    // generate() keeps only kwargs named in `forward_params`; without this it drops our
    // `encoder_outputs` and silently runs the encoder a second time for every window.
    const model = w.model as unknown as { forward_params: string[] };
    if (!model.forward_params.includes('encoder_outputs')) model.forward_params = [...model.forward_params, 'encoder_outputs'];
    this.#instrumentSessions();
  }

  get multilingual(): boolean {
    return this.#languages.size > 0;
  }

  #instrumentSessions() {
    const sessions = (this.#w.model as unknown as { sessions: Record<string, { run: (...a: unknown[]) => Promise<unknown> }> }).sessions;
    for (const [name, session] of Object.entries(sessions)) {
      const totals = { seconds: 0, runs: 0 };
      this.sessionTotals.set(name, totals);
      const run = session.run.bind(session);
      session.run = async (...args: unknown[]) => {
        return withOrtLock(async () => {
          const t0 = performance.now();
          try {
            return await run(...args);
          } finally {
            totals.seconds += (performance.now() - t0) / 1000;
            totals.runs++;
          }
        });
      };
    }
  }

  #snapshot() {
    const get = (name: string) => ({ ...(this.sessionTotals.get(name) ?? { seconds: 0, runs: 0 }) });
    const encoder = get('model');
    const decoder = get('decoder_model_merged');
    let all = 0;
    for (const t of this.sessionTotals.values()) all += t.seconds;
    return { encoder, decoder, all };
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
    const model = this.#w.model as unknown as {
      _prepare_encoder_decoder_kwargs_for_generation(a: unknown): Promise<{ encoder_outputs: Tensor }>;
      generation_config: unknown;
    };
    const out = await model._prepare_encoder_decoder_kwargs_for_generation({
      inputs_tensor: features,
      model_inputs: { input_features: features },
      model_input_name: 'input_features',
      generation_config: model.generation_config,
    });
    return out.encoder_outputs;
  }

  async #languageFrom(features: Tensor, encoderOutputs: Tensor): Promise<LanguageGuess[]> {
    const model = this.#w.model as unknown as { forward(i: unknown): Promise<Record<string, Tensor>> };
    const out = await model.forward({
      input_features: features,
      encoder_outputs: encoderOutputs,
      decoder_input_ids: new Tensor('int64', BigInt64Array.from([BigInt(this.#gen.decoder_start_token_id)]), [1, 1]),
    });
    const logits = out.logits;
    const vocab = logits.dims[logits.dims.length - 1];
    const row = (logits.data as Float32Array).subarray(0, vocab);
    const guesses = languageProbabilities(row, this.#languages);
    for (const [name, t] of Object.entries(out)) if (name.startsWith('present')) t.dispose?.();
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
    const model = (this.#w.tokenizer as unknown as { model: { tokens_to_ids: Map<string, number> } }).model;
    const startOfPrev = model.tokens_to_ids.get('<|startofprev|>');
    if (startOfPrev === undefined) return [];
    return [startOfPrev, ...promptIds.slice(-MAX_PROMPT_TOKENS)];
  }

  /**
   * Let queued messages run between decoder steps (see yieldToEventLoop): a cancel, and in a
   * live session the microphone frames and the VAD.
   */
  async #yieldingBetweenSteps<T>(fn: () => Promise<T>): Promise<T> {
    const model = this.#w.model;
    const forward = model.forward.bind(model);
    const patched = model as unknown as { forward: typeof forward };
    patched.forward = async (inputs: unknown) => {
      await yieldToEventLoop();
      return forward(inputs as never);
    };
    try {
      return await fn();
    } finally {
      patched.forward = forward;
    }
  }

  /**
   * Decode one utterance of live audio (≤ 30 s, no timestamps). `forcedIds` are text tokens
   * already settled: they are fed as decoder input, and generation continues after them.
   * Returns all text tokens (forced + new).
   */
  async decodeUtterance(
    audio: Float32Array,
    options: { language: string; task: Task; promptIds: readonly number[]; forcedIds: readonly number[]; isCancelled: () => boolean },
  ): Promise<{ ids: number[]; language: string; guesses: LanguageGuess[] | null; cancelled: boolean }> {
    const features = await this.#features(audio.subarray(0, WINDOW_SAMPLES));
    const encoderOutputs = await this.#encode(features);
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
        max_new_tokens: Math.max(1, Math.min(MAX_NEW_TOKENS, DECODER_CONTEXT - prefix.length)),
        // After forced text the model may end at once; "no end at the first step" is for empty starts.
        ...(options.forcedIds.length ? { begin_suppress_tokens: null } : {}),
        stopping_criteria: stopping,
        streamer: new CallbackStreamer((id) => {
          if (id !== this.#info.eot && id < this.#info.timestampBegin) ids.push(id);
        }),
      } as never),
    );
    return { ids: loopAt >= 0 ? ids.slice(0, loopAt) : ids, language, guesses, cancelled };
  }

  decode(ids: readonly number[]): string {
    return ids.length ? this.#w.tokenizer.decode(ids as number[], { skip_special_tokens: true }) : '';
  }

  async transcribe(
    original: Float32Array,
    options: { language: string; task: Task; promptIds?: readonly number[]; isCancelled: () => boolean },
    onUpdate: (u: TranscribeUpdate) => void,
  ): Promise<TranscribeResult> {
    const started = performance.now();
    const before = this.#snapshot();
    const { tokenizer, model } = this.#w;
    const duration = original.length / WHISPER_SAMPLE_RATE_HZ;
    // Decode the audio with long pauses shortened; report every time in the original's terms.
    const { audio, spans } = compactPauses(original);
    const toOriginal = (compactSeconds: number) => toOriginalSeconds(spans, compactSeconds);
    const decode = (ids: number[]) => this.decode(ids);

    let language: string | null = options.language === 'auto' ? null : options.language;
    let guesses: LanguageGuess[] | null = null;
    if (!this.multilingual) language = 'en';

    const segments: Segment[] = [];
    let seek = 0; // samples
    let partial = '';
    let cancelled = false;
    let loopsCut = 0;
    let windows = 0;
    let skipped = 0;
    let tokensTotal = 0;
    let lastUpdate = 0;

    // Progress never moves backwards on screen, even when a window's last (unfinished)
    // segment reached further than where the next window resumes.
    let shownSeconds = 0;
    const update = (compactSeconds: number, force = false) => {
      shownSeconds = Math.min(duration, Math.max(shownSeconds, toOriginal(compactSeconds)));
      const now = performance.now();
      if (!force && now - lastUpdate < UPDATE_INTERVAL_MS) return;
      lastUpdate = now;
      const settledSeconds = seek >= audio.length ? duration : Math.min(duration, toOriginal(seek / WHISPER_SAMPLE_RATE_HZ));
      onUpdate({ segments: [...segments], partial, processedSeconds: shownSeconds, settledSeconds, language, languageGuesses: guesses });
    };

    const promptPrefix = this.#promptPrefix(options.promptIds ?? []);
    // Between steps the event loop runs (cancel can arrive).
    await this.#yieldingBetweenSteps(async () => {
      while (seek < audio.length) {
        if (options.isCancelled()) {
          cancelled = true;
          break;
        }
        const window = audio.subarray(seek, seek + WINDOW_SAMPLES);
        const windowSeconds = window.length / WHISPER_SAMPLE_RATE_HZ;
        const offset = seek / WHISPER_SAMPLE_RATE_HZ;
        if (isSilent(window) || windowSeconds < 0.1) {
          skipped++;
          seek += window.length;
          update(seek / WHISPER_SAMPLE_RATE_HZ, true);
          continue;
        }

        const features = await this.#features(window);
        const encoderOutputs = await this.#encode(features);
        if (language === null) {
          guesses = await this.#languageFrom(features, encoderOutputs);
          language = guesses[0].code;
        }

        const prefix = [...promptPrefix, ...this.#prefix(language, options.task)];
        const generated: number[] = [];
        const textTokens: number[] = [];
        let loopAt = -1;
        let lastTimestamp = 0;
        const streamer = new CallbackStreamer((id) => {
          generated.push(id);
          if (id >= this.#info.timestampBegin) lastTimestamp = (id - this.#info.timestampBegin) * TIME_PRECISION_S;
          else if (id !== this.#info.eot) textTokens.push(id);
          partial = decode(textTokens);
          update(offset + Math.min(lastTimestamp, windowSeconds));
        });
        const stopping = new StoppingCriteriaList();
        stopping.push(
          new FlagCriteria(() => {
            if (options.isCancelled()) return (cancelled = true);
            const at = findRepetitionLoop(textTokens);
            if (at >= 0) {
              loopAt = at;
              return true;
            }
            return false;
          }),
        );

        await model.generate({
          inputs: features,
          encoder_outputs: encoderOutputs,
          decoder_input_ids: prefix,
          return_timestamps: true,
          max_new_tokens: Math.min(MAX_NEW_TOKENS, DECODER_CONTEXT - prefix.length),
          stopping_criteria: stopping,
          streamer,
        } as never);
        windows++;
        tokensTotal += generated.length;

        let tokens = generated;
        if (loopAt >= 0) {
          // Keep the text up to the first repeat; the rest of this window is the loop.
          loopsCut++;
          let seen = 0;
          const cut = generated.findIndex((id) => id < this.#info.timestampBegin && id !== this.#info.eot && ++seen > loopAt);
          tokens = cut >= 0 ? generated.slice(0, cut) : generated;
        }
        const result = splitWindow(tokens, this.#info, windowSeconds);
        const advance = loopAt >= 0 || cancelled ? windowSeconds : result.advance;
        for (const piece of result.pieces) {
          const text = decode(piece.tokens);
          if (text.trim() === '') continue;
          // Never earlier than the text before it, never past the end of the audio.
          const floor = segments.length ? segments[segments.length - 1].end : 0;
          const start = Math.min(duration, Math.max(floor, toOriginal(offset + piece.start)));
          segments.push({ start, end: Math.min(duration, Math.max(start, toOriginal(offset + piece.end))), text });
        }
        const deduped = dropRepeatedSegments(segments);
        segments.splice(0, segments.length, ...deduped);
        partial = '';
        if (cancelled) {
          // Keep what was settled; the unfinished tail of this window is not trusted.
          const settled = result.pieces.length ? result.pieces[result.pieces.length - 1].end : 0;
          seek += Math.round(settled * WHISPER_SAMPLE_RATE_HZ);
          break;
        }
        seek += Math.max(1, Math.round(advance * WHISPER_SAMPLE_RATE_HZ));
        update(seek / WHISPER_SAMPLE_RATE_HZ, true);
      }
    });

    const processedSeconds = seek >= audio.length ? duration : Math.min(duration, toOriginal(seek / WHISPER_SAMPLE_RATE_HZ));
    return {
      segments,
      partial: '',
      processedSeconds,
      settledSeconds: processedSeconds,
      language,
      languageGuesses: guesses,
      cancelled,
      loopsCut,
      stats: (() => {
        const after = this.#snapshot();
        return {
          windows,
          skippedSilentWindows: skipped,
          tokens: tokensTotal,
          seconds: (performance.now() - started) / 1000,
          sessionSeconds: after.all - before.all,
          encoderSeconds: after.encoder.seconds - before.encoder.seconds,
          encoderRuns: after.encoder.runs - before.encoder.runs,
          decoderSeconds: after.decoder.seconds - before.decoder.seconds,
          decoderRuns: after.decoder.runs - before.decoder.runs,
        };
      })(),
    };
  }
}
