/**
 * Long-form transcription of a file over one loaded Whisper's window steps (`WindowSteps`, which
 * WhisperEngine implements). Windows are planned from voice activity (Silero probabilities, else
 * the signal level: audio-plan.ts): long pauses lose their middle, a window ends in a pause when
 * one falls inside its 30 s, and after each window the speech it settled must be covered by
 * decoded words — speech the model jumped over is decoded again, in a window that ends just
 * before it or holds only it. Updates to the page carry only the segments that changed.
 */
import { TIME_PRECISION_S, WHISPER_SAMPLE_RATE_HZ, WINDOW_SAMPLES } from '../../../src/domain/audio/constants';
import { toOriginalSeconds } from '../../../src/domain/audio/pauses';
import { firstUncovered, windowEnd } from '../../../src/domain/audio/speech-regions';
import { isSilent } from '../../../src/domain/audio/silence';
import { snapToEnergy } from '../../../src/domain/audio/energy-edges';
import { groupIntoSegments, snapToSpeech, type Word } from '../../../src/domain/transcript/alignment';
import { PROMPT_RESET_TEMPERATURE, isNoSpeech } from '../../../src/domain/transcript/decoding';
import { autoDecodingMode, type DecodingMode } from '../../../src/domain/models/decoding-mode';
import { preferLanguages } from '../../../src/domain/transcript/langid';
import { dropRepeatedSegments, findRepetitionLoop } from '../../../src/domain/transcript/repetition';
import type { LanguageGuess, Segment } from '../../../src/domain/transcript/types';
import { splitWindow } from '../../../src/domain/transcript/window';
import type { Accuracy, TranscribeResult, TranscribeUpdate } from '../protocol';
import { planAudio } from './audio-plan';
import type { FileOptions, WindowSteps } from './steps';

const UPDATE_INTERVAL_MS = 100;
/** A window ends in a pause only if that leaves it at least this long. */
const MIN_WINDOW_SAMPLES = 5 * WHISPER_SAMPLE_RATE_HZ;
/** Re-decodes of one window when speech was jumped over. */
const MAX_REDECODES = 2;

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Transcribe a whole file (16 kHz mono), reporting settled segments and partial text as it goes. */
export function transcribeFile(steps: WindowSteps, original: Float32Array, options: FileOptions, onUpdate: (u: TranscribeUpdate) => void): Promise<TranscribeResult> {
  return new LongFormRun(steps, original, options, onUpdate).run();
}

type Figures = Pick<Segment, 'avg_logprob' | 'no_speech_prob' | 'temperature' | 'compression_ratio'>;

class LongFormRun {
  readonly #steps: WindowSteps;
  readonly #options: FileOptions;
  readonly #onUpdate: (u: TranscribeUpdate) => void;
  readonly #duration: number;
  readonly #accuracy: Accuracy;
  readonly #mode: DecodingMode;
  readonly #plan: ReturnType<typeof planAudio>;
  readonly #pauseSet: Set<number>;

  #language: string | null;
  #guesses: LanguageGuess[] | null = null;
  readonly #segments: Segment[] = [];
  /** The segments as the last update left them on the page. */
  #sent: Segment[] = [];
  readonly #previousText: number[];
  #promptResetSince = 0;
  /** Samples of the shortened audio settled so far. */
  #seek = 0;
  #partial = '';
  #cancelled = false;
  readonly #counts = { windows: 0, skipped: 0, tokens: 0, loopsCut: 0, fallbacks: 0, redecodes: 0, noSpeech: 0 };
  #lastUpdate = 0;
  /** Progress never moves backwards on screen, even when a window's last (unfinished) segment reached further than where the next window resumes. */
  #shownSeconds = 0;

  constructor(steps: WindowSteps, original: Float32Array, options: FileOptions, onUpdate: (u: TranscribeUpdate) => void) {
    this.#steps = steps;
    this.#options = options;
    this.#onUpdate = onUpdate;
    this.#duration = original.length / WHISPER_SAMPLE_RATE_HZ;
    this.#accuracy = options.accuracy ?? 'fast';
    this.#mode = options.mode ?? autoDecodingMode(steps.multilingual, this.#accuracy);
    this.#plan = planAudio(original, options.speech);
    this.#pauseSet = new Set(this.#plan.pauses);
    this.#language = !steps.multilingual ? 'en' : options.language === 'auto' ? null : options.language;
    this.#previousText = [...(options.previousIds ?? [])];
  }

  #toOriginal(compactSeconds: number): number {
    return toOriginalSeconds(this.#plan.spans, compactSeconds);
  }

  async run(): Promise<TranscribeResult> {
    const started = performance.now();
    const before = this.#steps.sessionSnapshot();
    const audio = this.#plan.audio;
    while (this.#seek < audio.length) {
      if (this.#options.isCancelled()) {
        this.#cancelled = true;
        break;
      }
      await this.#window();
      if (this.#cancelled) break;
    }
    const processedSeconds = this.#seek >= audio.length ? this.#duration : Math.min(this.#duration, this.#toOriginal(this.#seek / WHISPER_SAMPLE_RATE_HZ));
    const after = this.#steps.sessionSnapshot();
    const counts = this.#counts;
    return {
      segments: this.#segments,
      segmentsFrom: 0,
      partial: '',
      processedSeconds,
      settledSeconds: processedSeconds,
      language: this.#language,
      languageGuesses: this.#guesses,
      cancelled: this.#cancelled,
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

  /** Send progress (at most every 100 ms unless forced) and the segments changed since the last update. */
  #update(compactSeconds: number, force = false) {
    const SR = WHISPER_SAMPLE_RATE_HZ;
    const duration = this.#duration;
    // The end of the decoded audio is the end of the file (trailing silence was never decoded).
    const at = compactSeconds * SR >= this.#plan.audio.length ? duration : this.#toOriginal(compactSeconds);
    this.#shownSeconds = Math.min(duration, Math.max(this.#shownSeconds, at));
    const now = performance.now();
    if (!force && now - this.#lastUpdate < UPDATE_INTERVAL_MS) return;
    this.#lastUpdate = now;
    const settledSeconds = this.#seek >= this.#plan.audio.length ? duration : Math.min(duration, this.#toOriginal(this.#seek / SR));
    // Only what changed since the last update crosses to the page (a window's repeats check
    // may have dropped a segment it had already sent: then from there on).
    const segments = this.#segments;
    let from = 0;
    while (from < this.#sent.length && from < segments.length && this.#sent[from] === segments[from]) from++;
    this.#sent = segments.slice();
    this.#onUpdate({
      segments: segments.slice(from),
      segmentsFrom: from,
      partial: this.#partial,
      processedSeconds: this.#shownSeconds,
      settledSeconds,
      language: this.#language,
      languageGuesses: this.#guesses,
    });
  }

  /** Decode the window at `#seek` (again, shorter, while it jumped over speech) and settle what it heard. */
  async #window(): Promise<void> {
    const SR = WHISPER_SAMPLE_RATE_HZ;
    const steps = this.#steps;
    const options = this.#options;
    const { audio, regions, pauses } = this.#plan;
    const seek = this.#seek;
    let end = windowEnd(seek, audio.length, pauses, WINDOW_SAMPLES, MIN_WINDOW_SAMPLES);
    for (let attempts = 0; ; attempts++) {
      const window = audio.subarray(seek, end);
      const windowSeconds = window.length / SR;
      const offset = seek / SR;
      if (isSilent(window) || windowSeconds < 0.1) {
        this.#counts.skipped++;
        this.#advanceTo(end);
        return;
      }
      const features = await steps.features(window);
      const encoderOutputs = await steps.encode(features);
      if (this.#language === null) {
        this.#guesses = preferLanguages(await steps.languageFrom(features, encoderOutputs), options.preferredLanguages ?? []);
        this.#language = this.#guesses[0].code;
      }
      const language = this.#language;
      // A window that ends in a pause (or at the end) is decoded whole, as text only: timestamp
      // tokens cost tiny.en about a point of WER on our clips, and the word timings give the
      // segments their times. A window cut at 30 s inside speech needs Whisper's timestamps to
      // know where its last whole segment ended.
      const textOnly = steps.alignable && this.#mode !== 'timestamps' && (end >= audio.length || this.#pauseSet.has(end) || attempts > 0);
      const sotSequence = steps.prefix(language, options.task);
      const earlier = (options.context ?? true) ? this.#previousText.slice(this.#promptResetSince) : [];
      const promptPart = steps.filePrompt(options.promptIds ?? [], textOnly ? earlier.filter((t) => t < steps.tokens.eot) : earlier);
      const prefix = [...promptPart, ...sotSequence, ...(textOnly ? [steps.tokens.noTimestamps] : [])];
      const { result, compressionRatio: ratio, fallbacks } = await steps.decodeWithFallback({
        encoderOutputs,
        prefix,
        sotIndex: promptPart.length,
        textOnly,
        accuracy: this.#accuracy,
        seed: this.#counts.windows,
        fallback: options.fallback ?? true,
        isCancelled: options.isCancelled,
        onStep: (tokens) => this.#showPartial(tokens, offset, windowSeconds),
        onDecode: options.onDecode && ((d) => options.onDecode!({ window: this.#counts.windows, ...d })),
      });
      this.#counts.windows++;
      this.#counts.fallbacks += fallbacks;
      this.#counts.tokens += result.tokens.length;
      if (result.cancelled) this.#cancelled = true;
      this.#partial = '';
      const cancelled = this.#cancelled;

      if (!cancelled && isNoSpeech(result)) {
        // OpenAI's no-speech gate: the window is silence whatever text came out.
        this.#counts.noSpeech++;
        this.#advanceTo(end);
        return;
      }
      const tokens = result.looped ? this.#cutLoop(result.tokens) : result.tokens;
      // Cancelled inside a text-only window: none of it is settled (no timestamps say how far it got).
      const split = cancelled && textOnly ? { pieces: [], advance: 0 } : splitWindow(tokens, steps.tokens, windowSeconds);
      const advance = result.looped || cancelled ? windowSeconds : split.advance;
      const regionsHere = regions.map((r) => ({ start: r.start / SR - offset, end: r.end / SR - offset }));
      // Word edges out of silence: Silero's regions first, then the signal's own 10 ms envelope.
      const words = (await steps.align(encoderOutputs, sotSequence, split.pieces, window.length, language))?.map((w) => snapToEnergy(regions.length ? snapToSpeech(w, regionsHere) : w, window));

      // Speech the window settled but no word landed on: decode it again (at most twice).
      const settled = cancelled ? (split.pieces.at(-1)?.end ?? 0) : advance;
      const landed = words ? words.flat() : split.pieces.map((p) => ({ start: p.start, end: p.end }));
      const gap = cancelled ? null : firstUncovered(regionsHere, landed, 0, settled);
      if (gap && attempts < MAX_REDECODES) {
        const newEnd = gap.start > 1 ? seek + Math.round((gap.start - 0.1) * SR) : seek + Math.round(Math.min(windowSeconds, gap.end + 0.3) * SR);
        if (newEnd < end) {
          this.#counts.redecodes++;
          end = newEnd;
          continue;
        }
      }

      const figures: Figures = {
        avg_logprob: round(result.avgLogprob, 4),
        no_speech_prob: round(result.noSpeechProb, 4),
        temperature: result.temperature,
        compression_ratio: round(ratio, 4),
      };
      if (textOnly && words?.[0]?.length) this.#segmentsFromWords(words[0], offset, figures, split.pieces);
      else this.#segmentsFromPieces(split.pieces, words, offset, window, figures, Math.exp(result.avgLogprob));
      this.#segments.splice(0, this.#segments.length, ...dropRepeatedSegments(this.#segments));
      if (result.temperature > PROMPT_RESET_TEMPERATURE) this.#promptResetSince = this.#previousText.length;
      this.#advanceTo(seek + (cancelled ? Math.round(settled * SR) : Math.max(1, Math.round(advance * SR))));
      return;
    }
  }

  #advanceTo(sample: number) {
    this.#seek = sample;
    this.#update(sample / WHISPER_SAMPLE_RATE_HZ, true);
  }

  /** The text being decoded, and progress up to its last timestamp. */
  #showPartial(tokens: readonly number[], offset: number, windowSeconds: number) {
    const { timestampBegin, eot } = this.#steps.tokens;
    let lastTs = 0;
    for (let i = tokens.length - 1; i >= 0; i--) {
      if (tokens[i] >= timestampBegin) {
        lastTs = (tokens[i] - timestampBegin) * TIME_PRECISION_S;
        break;
      }
    }
    this.#partial = this.#steps.decode(tokens.filter((t) => t < eot));
    this.#update(offset + Math.min(lastTs, windowSeconds));
  }

  /** Still looping at the last temperature: keep the text up to the first repeat. */
  #cutLoop(tokens: number[]): number[] {
    this.#counts.loopsCut++;
    const eot = this.#steps.tokens.eot;
    const text = tokens.filter((t) => t < eot);
    const at = findRepetitionLoop(text);
    let seen = 0;
    const cut = at >= 0 ? tokens.findIndex((t) => t < eot && ++seen > at) : -1;
    return cut >= 0 ? tokens.slice(0, cut) : tokens;
  }

  /** A word's times in the original audio, inside [lo, hi]. */
  #toWord(w: Word, offset: number, lo: number, hi: number): Word {
    const ws = Math.min(hi, Math.max(lo, this.#toOriginal(offset + w.start)));
    const word: Word = { word: w.word, start: round(ws, 3), end: round(Math.min(hi, Math.max(ws, this.#toOriginal(offset + w.end))), 3), probability: round(w.probability, 4) };
    if (w.approximate) word.approximate = true;
    return word;
  }

  /** Segment `[start, end]` in the original audio: never earlier than the text before it, never past the end. */
  #span(compactStart: number, compactEnd: number): { start: number; end: number } {
    const floor = this.#segments.length ? this.#segments[this.#segments.length - 1].end : 0;
    const start = Math.min(this.#duration, Math.max(floor, this.#toOriginal(compactStart)));
    return { start, end: Math.min(this.#duration, Math.max(start, this.#toOriginal(compactEnd))) };
  }

  /** A text-only window: segments from the words, at sentence ends and pauses between words. */
  #segmentsFromWords(words: Word[], offset: number, figures: Figures, pieces: readonly { tokens: number[] }[]) {
    for (const group of groupIntoSegments(words)) {
      const { start, end } = this.#span(offset + group[0].start, offset + group[group.length - 1].end);
      this.#segments.push({ start, end, text: group.map((w) => w.word).join(''), ...figures, words: group.map((w) => this.#toWord(w, offset, start, end)) });
    }
    this.#previousText.push(...pieces.flatMap((p) => p.tokens));
  }

  /** A window with timestamps: one segment per timestamped piece, with its aligned (or spread) words. */
  #segmentsFromPieces(pieces: readonly { tokens: number[]; start: number; end: number }[], words: Word[][] | null | undefined, offset: number, window: Float32Array, figures: Figures, probability: number) {
    const steps = this.#steps;
    const ts = (seconds: number) => steps.tokens.timestampBegin + Math.round(seconds / TIME_PRECISION_S);
    pieces.forEach((piece, i) => {
      const text = steps.decode(piece.tokens);
      if (text.trim() === '') return;
      const { start, end } = this.#span(offset + piece.start, offset + piece.end);
      const segment: Segment = { start, end, text, ...figures };
      // No alignment from this model: words spread over the segment's speech, flagged approximate.
      const timed = words ? words[i] : steps.spreadWords(piece.tokens, this.#language ?? '', piece, window, probability);
      if (timed.length) segment.words = timed.map((w) => this.#toWord(w, offset, start, end));
      this.#segments.push(segment);
      // As OpenAI: the segment with its timestamps (a prompt of bare text teaches the model to stop timing).
      this.#previousText.push(ts(piece.start), ...piece.tokens, ts(piece.end));
    });
  }
}
