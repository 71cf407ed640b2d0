/**
 * One utterance of live audio (≤ 30 s, text only) decoded over a loaded Whisper's steps
 * (`UtteranceSteps`, which WhisperEngine implements): settled text forced as decoder input, the
 * last pass's tentative text checked as a draft on the step model, padding mostly left out of the
 * encoder's input, a phrase said twice cut (a pass) or decoded again on the whole window (a final).
 */
import { BaseStreamer, Tensor } from '@huggingface/transformers';
import { WHISPER_SAMPLE_RATE_HZ, WINDOW_SAMPLES } from '../../../src/domain/audio/constants';
import { findRepetitionLoop, secondCopyAt } from '../../../src/domain/transcript/repetition';
import type { LanguageGuess } from '../../../src/domain/transcript/types';
import { yieldToEventLoop } from '../runtime/yield';
import { decodeWithDraft } from './draft';
import { DECODER_CONTEXT, MAX_NEW_TOKENS } from './limits';
import type { UtteranceDecode, UtteranceOptions, UtteranceSteps } from './steps';
import { releasePastKeyValues, withForwardHook } from './transformers-adapter';

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
/**
 * Padding for a final's decode (and the pass begun after the speech, likely the final): its audio
 * ends in silence, where 3–6 s is enough on whole clips (7.7 % WER in Node). 5 s, not 3: in the
 * browser 3 s scored 12.0 % against the file path's 8.1 %, 5 s 8.6 %. Where 5 s makes it say a
 * phrase twice, it is decoded again with 10 s, and only then on the whole window (when 5 s was
 * first tried, every such final went to the whole window, and the median stayed at 1.48 s).
 * The encoder of the pass a final waits for: 0.49–0.55 → 0.26–0.31 s.
 */
const FINAL_PADDING_FRAMES = 500;

/** Thrown from the forward hook to end a generate() between steps (cancelled, or looping). */
class StopDecoding extends Error {}

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

/**
 * Decode one utterance of live audio. `forcedIds` are text tokens already settled: they are fed as
 * decoder input, and generation continues after them. `draft`: what likely follows them (the last
 * pass's tentative text), checked in one pass on the step model where there is one
 * (decodeWithDraft); without a step model (WebGPU, `?decoder=merged`) the decode is
 * transformers.js's generate() on the merged decoder. Returns all text tokens (forced + new).
 */
export async function decodeUtterance(steps: UtteranceSteps, audio: Float32Array, options: UtteranceOptions): Promise<UtteranceDecode> {
  const features = await steps.features(audio.subarray(0, WINDOW_SAMPLES));
  if (!steps.loaded.anyLengthEncoder) return decodeEncoded(steps, features, features, audio.length, options);
  // Most of the window's padding left out (see LIVE_PADDING_FRAMES, FINAL_PADDING_FRAMES). With
  // less padding Whisper more often says a phrase twice at the end of audio that stops
  // mid-speech (a pass). A pass's text is cut before the second copy (it is tentative, and the
  // next pass hears more); a final's is decoded again with more padding, then on the whole window.
  const paddings = options.final ? [FINAL_PADDING_FRAMES, LIVE_PADDING_FRAMES] : [LIVE_PADDING_FRAMES];
  for (const padding of paddings) {
    const r = await decodeEncoded(steps, features, leadingFrames(features, audio.length / HOP_SAMPLES + padding), audio.length, options);
    const twice = r.cancelled ? -1 : secondCopyAt(r.ids, options.forcedIds.length);
    if (twice < 0) return r;
    if (!options.final) return { ...r, ids: r.ids.slice(0, twice) };
  }
  return decodeEncoded(steps, features, features, audio.length, options);
}

async function decodeEncoded(steps: UtteranceSteps, features: Tensor, encoderInput: Tensor, samples: number, options: UtteranceOptions): Promise<UtteranceDecode> {
  const encoderOutputs = await steps.encode(encoderInput);
  let language = steps.multilingual ? options.language : 'en';
  let guesses: LanguageGuess[] | null = null;
  if (language === 'auto') {
    guesses = await steps.languageFrom(features, encoderOutputs);
    language = guesses[0].code;
  }
  const prefix = [...steps.promptPrefix(options.promptIds), ...steps.prefix(language, options.task), steps.tokens.noTimestamps, ...options.forcedIds];
  // No more text than the audio can hold: a decode that loops stops there, not after 224 tokens
  // (generate() ignores the stopping criteria, so a loop would hold the worker for seconds).
  const room = Math.ceil((samples / WHISPER_SAMPLE_RATE_HZ) * LIVE_TOKENS_PER_SECOND) + LIVE_TOKENS_SLACK - options.forcedIds.length;
  const maxNewTokens = Math.max(1, Math.min(MAX_NEW_TOKENS, DECODER_CONTEXT - prefix.length, room));
  const { model, step } = steps.loaded;
  const { eot, timestampBegin } = steps.tokens;
  if (step && options.draft) {
    const r = await decodeWithDraft(model, steps.special, {
      encoderOutputs,
      prefix,
      draft: options.draft,
      suppressAtStart: options.forcedIds.length === 0,
      maxNewTokens,
      minNewTokens: options.minNewTokens,
      stopAt: (tokens) => findRepetitionLoop([...options.forcedIds, ...tokens]) >= 0,
      isCancelled: options.isCancelled,
      beforeStep: yieldToEventLoop,
      step,
    });
    // As generate()'s streamer: a timestamp token the model may still pick is not text.
    const all = [...options.forcedIds, ...r.tokens.filter((t) => t < timestampBegin)];
    const loopAt = findRepetitionLoop(all);
    return { ids: loopAt >= 0 ? all.slice(0, loopAt) : all, language, guesses, cancelled: r.cancelled, encoderOutputs, draftAccepted: r.accepted, steps: r.steps };
  }
  const ids = [...options.forcedIds];
  let cancelled = false;
  let loopAt = -1;
  // Queued messages (a cancel, the microphone frames, the VAD) run between decoder steps; a
  // cancel or a repetition loop then ends the decode before the next step.
  const beforeStep = async (inputs: unknown) => {
    await yieldToEventLoop();
    cancelled = options.isCancelled();
    loopAt = findRepetitionLoop(ids);
    if (cancelled || loopAt >= 0) {
      releasePastKeyValues(inputs);
      throw new StopDecoding();
    }
  };
  try {
    await withForwardHook(model, beforeStep, () =>
      model.generate({
        inputs: features,
        encoder_outputs: encoderOutputs,
        decoder_input_ids: prefix,
        return_timestamps: false,
        max_new_tokens: maxNewTokens,
        ...(options.minNewTokens ? { min_new_tokens: options.minNewTokens } : {}),
        // After forced text the model may end at once; "no end at the first step" is for empty starts.
        ...(options.forcedIds.length ? { begin_suppress_tokens: null } : {}),
        streamer: new CallbackStreamer((id) => {
          if (id !== eot && id < timestampBegin) ids.push(id);
        }),
      } as never),
    );
  } catch (err) {
    if (!(err instanceof StopDecoding)) throw err;
  }
  return { ids: loopAt >= 0 ? ids.slice(0, loopAt) : ids, language, guesses, cancelled, encoderOutputs, draftAccepted: 0, steps: ids.length - options.forcedIds.length + 1 };
}
