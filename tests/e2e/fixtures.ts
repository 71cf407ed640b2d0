/**
 * Audio for the end-to-end tests, made from ../shared clips with ffmpeg/sox into .cache/fixtures
 * (never committed). Everything here is deterministic and cached between runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHARED = resolve(ROOT, '../shared');
export const CACHE = join(ROOT, '.cache');
export const FIXTURES = join(CACHE, 'fixtures');
export const MEMORIZED_MODEL = join(SHARED, 'models/earshot-test-memorized');
export const MEMORIZED_CLIPS = join(SHARED, 'test-clips/memorized');

export function have(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface Clip {
  file: string;
  language: string;
  reference: string;
}

export function memorizedClips(): Clip[] {
  const rows = readFileSync(join(MEMORIZED_CLIPS, 'transcripts.tsv'), 'utf8').trim().split('\n').slice(1);
  return rows.map((row) => {
    const [file, language, , , reference] = row.split('\t');
    return { file: join(MEMORIZED_CLIPS, file), language, reference };
  });
}

/** ffmpeg arguments per container/codec variant the app must read. */
export const VARIANTS: Record<string, { ext: string; args: string[] }> = {
  mp3: { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '128k'] },
  ogg: { ext: 'ogg', args: ['-c:a', 'libvorbis', '-q:a', '6'] },
  opus: { ext: 'opus', args: ['-c:a', 'libopus', '-b:a', '64k'] },
  m4a: { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '128k'] },
  flac: { ext: 'flac', args: ['-c:a', 'flac'] },
  webm: { ext: 'webm', args: ['-c:a', 'libopus', '-b:a', '64k'] },
  'wav-8k': { ext: 'wav', args: ['-ar', '8000'] },
  'wav-44k1': { ext: 'wav', args: ['-ar', '44100'] },
  'wav-48k-stereo': { ext: 'wav', args: ['-ar', '48000', '-ac', '2'] },
  // Video: the audio track of an H.264 + AAC MP4.
  mp4: {
    ext: 'mp4',
    args: ['-f', 'lavfi', '-i', 'color=c=navy:s=160x120:r=10', '-shortest', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k', '-map', '1:v', '-map', '0:a'],
  },
};

export function convert(input: string, variant: string): string {
  const v = VARIANTS[variant];
  const dir = join(FIXTURES, variant);
  mkdirSync(dir, { recursive: true });
  const name = input.split('/').pop()!.replace(/\.\w+$/, `.${v.ext}`);
  const out = join(dir, name);
  if (!existsSync(out)) {
    execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, ...v.args, out], { stdio: 'pipe' });
  }
  return out;
}

/** ffmpeg's decode + resample of any file to 16 kHz mono WAV: the baseline's independent audio path. */
export function toBaselineWav(input: string): string {
  const dir = join(FIXTURES, 'baseline-16k', input.split('/').slice(-2, -1)[0]);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, input.split('/').pop()!.replace(/\.\w+$/, '.wav'));
  if (!existsSync(out)) execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', out]);
  return out;
}

/** A file that claims to be MP3 but is noise, a zero-byte WAV, and a real WAV cut to its first 100 bytes. */
export function badFiles(): { corrupt: string; empty: string; cut: string } {
  mkdirSync(FIXTURES, { recursive: true });
  const corrupt = join(FIXTURES, 'corrupt.mp3');
  const empty = join(FIXTURES, 'empty.wav');
  const cut = join(FIXTURES, 'cut-short.wav');
  if (!existsSync(cut)) writeFileSync(cut, readFileSync(toBaselineWav(speechClips('en')[0].file)).subarray(0, 100));
  if (!existsSync(corrupt)) {
    const bytes = Buffer.alloc(64 * 1024);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    writeFileSync(corrupt, bytes);
  }
  if (!existsSync(empty)) writeFileSync(empty, '');
  return { corrupt, empty, cut };
}

/**
 * Join clips with pauses into one file (sox), e.g. for long-form and cancel tests. `-R`: sox
 * dithers when it resamples (the 8 kHz clip) with a random seed unless told to repeat, so without
 * it every clean checkout built a slightly different file and long-form results moved run to run.
 */
export function joinWithPauses(name: string, inputs: string[], pauseSeconds: number[]): string {
  mkdirSync(FIXTURES, { recursive: true });
  const out = join(FIXTURES, name);
  if (existsSync(out)) return out;
  const parts: string[] = [];
  inputs.forEach((file, i) => {
    const norm = join(FIXTURES, `part-${name}-${i}.wav`);
    execFileSync('sox', ['-R', file, '-r', '16000', '-c', '1', '-b', '16', norm]);
    parts.push(norm);
    const gap = join(FIXTURES, `gap-${pauseSeconds[i % pauseSeconds.length]}.wav`);
    if (!existsSync(gap)) execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', gap, 'trim', '0', String(pauseSeconds[i % pauseSeconds.length])]);
    parts.push(gap);
  });
  execFileSync('sox', [...parts, out]);
  return out;
}

export const AUDIO = join(SHARED, 'audio');
export const TINY_EN_MODEL = join(SHARED, 'models/whisper-tiny.en');
export const BASE_MODEL = join(SHARED, 'models/whisper-base');

/** Real speech clips of one language with reference transcripts (../shared/audio/transcripts.tsv). */
export function speechClips(language: 'en' | 'zh'): Clip[] {
  const rows = readFileSync(join(AUDIO, 'transcripts.tsv'), 'utf8').trim().split('\n').slice(1);
  return rows
    .map((row) => row.split('\t'))
    .filter(([file, lang, , reference]) => lang === language && reference?.trim() && !file.endsWith('.flac'))
    .map(([file, lang, , reference]) => ({ file: join(AUDIO, file), language: lang, reference }));
}

/**
 * A long recording as users bring them: the English clips `rounds` times over (3: ≈ 6.5 minutes)
 * in different orders, joined by pauses from half a second to six seconds. Returns the file and
 * the clips in the order they are heard.
 */
export function longEnglishRecording(rounds = 3): { file: string; clips: Clip[] } {
  const base = speechClips('en');
  const clips = [0, 3, 7].slice(0, rounds).flatMap((shift) => base.map((_, i) => base[(i * 3 + shift) % base.length]));
  const file = joinWithPauses(rounds === 3 ? 'long-en.wav' : `long-en-${rounds}.wav`, clips.map((c) => c.file), [0.5, 1.2, 3, 0.8, 2, 1.6, 6]);
  return { file, clips };
}

/**
 * Degraded copies, the way users' recordings come: background noise, a reverberant room, a
 * phone line (300–3400 Hz, 8 kHz, µ-law), and low-bitrate lossy files.
 */
export const DEGRADED: Record<string, { ext: string; make: (input: string, out: string) => void }> = {
  noise: {
    ext: 'wav',
    make: (input, out) =>
      execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, '-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.015:seed=7', '-filter_complex', '[0:a][1:a]amix=inputs=2:duration=first:normalize=0', '-ar', '16000', '-ac', '1', out]),
  },
  reverb: { ext: 'wav', make: (input, out) => execFileSync('sox', ['-R', input, '-r', '16000', '-c', '1', '-b', '16', out, 'reverb', '40', '50', '60', 'gain', '-n', '-3']) },
  phone: {
    ext: 'wav',
    make: (input, out) => {
      const law = `${out}.ulaw.wav`;
      execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, '-af', 'highpass=f=300,lowpass=f=3400', '-ar', '8000', '-ac', '1', '-c:a', 'pcm_mulaw', law]);
      execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', law, '-c:a', 'pcm_s16le', out]);
    },
  },
  'mp3-24k': { ext: 'mp3', make: (input, out) => execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '24k', out]) },
  'opus-12k': { ext: 'ogg', make: (input, out) => execFileSync('ffmpeg', ['-y', '-loglevel', 'error', '-i', input, '-ac', '1', '-c:a', 'libopus', '-b:a', '12k', out]) },
};

export function degrade(input: string, kind: string): string {
  const d = DEGRADED[kind];
  const dir = join(FIXTURES, `degraded-${kind}`);
  mkdirSync(dir, { recursive: true });
  const out = join(dir, input.split('/').pop()!.replace(/\.\w+$/, `.${d.ext}`));
  if (!existsSync(out)) d.make(input, out);
  return out;
}

/** Sounds with no speech in them: silence, noise, tones. */
export function nonSpeech(): Record<string, string> {
  mkdirSync(FIXTURES, { recursive: true });
  const make = (name: string, args: string[]) => {
    const out = join(FIXTURES, `nonspeech-${name}.wav`);
    if (!existsSync(out)) execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', out, ...args]);
    return out;
  };
  return {
    silence: make('silence', ['trim', '0', '40']),
    noise: make('noise', ['synth', '40', 'pinknoise', 'vol', '0.1']),
    hum: make('hum', ['synth', '40', 'sine', '50', 'vol', '0.2']),
    tones: make('tones', ['synth', '40', 'sine', '300-3000', 'vol', '0.3']),
  };
}

/** The words of the word-timing file: a clinician's dictation, one espeak-ng clip per word. */
export const TIMING_WORDS =
  'the patient reported sharp chest pain after walking up the stairs yesterday morning she denies fever or cough her blood pressure was one hundred and forty over ninety we started aspirin and scheduled an echocardiogram for next week'.split(' ');

/**
 * A file built by joining single-word clips (espeak-ng, silence trimmed to the sample) with known
 * pauses, so every word's true start and end are known to the sample. Pauses vary (0.12–1.6 s,
 * a fixed sequence) so some words sit after long silences, where attention-based timings drift.
 */
export function wordTimingFile(name = 'word-timing.wav', words = TIMING_WORDS): { file: string; words: { word: string; start: number; end: number }[] } {
  mkdirSync(FIXTURES, { recursive: true });
  const out = join(FIXTURES, name);
  const gaps = [0.12, 0.25, 0.18, 0.6, 0.15, 0.3, 1.6, 0.2, 0.14, 0.45, 0.22, 1.1];
  const parts: string[] = [];
  const timed: { word: string; start: number; end: number }[] = [];
  let t = 0.5;
  const lead = join(FIXTURES, 'timing-lead.wav');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', lead, 'trim', '0', '0.5']);
  parts.push(lead);
  words.forEach((word, i) => {
    const raw = join(FIXTURES, `timing-raw-${word}.wav`);
    const clip = join(FIXTURES, `timing-${word}.wav`);
    if (!existsSync(clip)) {
      execFileSync('espeak-ng', ['-v', 'en-us', '-s', '165', '-w', raw, word]);
      // Trim silence at both ends (reverse, trim, reverse): the clip starts and ends on the word.
      execFileSync('sox', ['-R', raw, '-r', '16000', '-c', '1', '-b', '16', clip, 'silence', '1', '0.005', '0.3%', 'reverse', 'silence', '1', '0.005', '0.3%', 'reverse']);
    }
    const seconds = Number(execFileSync('soxi', ['-D', clip], { encoding: 'utf8' }));
    timed.push({ word, start: t, end: t + seconds });
    parts.push(clip);
    const gapSeconds = gaps[i % gaps.length];
    const gap = join(FIXTURES, `gap-${gapSeconds}.wav`);
    if (!existsSync(gap)) execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', gap, 'trim', '0', String(gapSeconds)]);
    parts.push(gap);
    t += seconds + gapSeconds;
  });
  execFileSync('sox', [...parts, out]);
  return { file: out, words: timed };
}

/**
 * Start errors of recognised words against the true ones: words are paired in order by their
 * normalised spelling (longest common subsequence), so a misrecognised word is left out, not
 * misattributed. Returns |start error| per paired word, seconds.
 */
export function startErrors(truth: readonly { word: string; start: number }[], found: readonly { word: string; start: number }[]): number[] {
  const norm = (w: string) => w.toLowerCase().replace(/[^a-z0-9']/g, '');
  const a = truth.map((w) => norm(w.word));
  const b = found.map((w) => norm(w.word)).filter(Boolean);
  const fb = found.filter((w) => norm(w.word));
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) dp[i][j] = a[i] === b[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const errors: number[] = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    if (a[i] === b[j]) errors.push(Math.abs(truth[i++].start - fb[j++].start));
    else if (dp[i + 1][j] >= dp[i][j + 1]) i++;
    else j++;
  }
  return errors;
}

export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(s.length - 1, lo + 1)] - s[lo]) * (pos - lo);
}
