/**
 * Benchmark audio, made from ../shared/audio clips and espeak-ng into .cache/bench-audio:
 *  - 60s.wav: one minute of speech with short pauses;
 *  - 10min.wav: ten minutes in which about a quarter is silence between utterances;
 *  - 5min-read.wav: five minutes of read sentences joined with 0.5–3 s pauses, the clips repeated
 *    once they run out (the kind of file issue 27 found fallbacks on).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared');
export const BENCH_AUDIO = join(ROOT, '.cache/bench-audio');

// `sox -R` everywhere: its dither is seeded, so a file is the same sample for sample on every
// machine (the fallback test reads the read file against figures recorded on it).
const seconds = (file: string) => Number(execFileSync('soxi', ['-D', file], { encoding: 'utf8' }));

function norm(input: string, out: string) {
  if (!existsSync(out)) execFileSync('sox', ['-R', input, '-r', '16000', '-c', '1', '-b', '16', out]);
  return out;
}

function silence(s: number) {
  const out = join(BENCH_AUDIO, `silence-${s.toFixed(2)}.wav`);
  if (!existsSync(out)) execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', out, 'trim', '0', s.toFixed(2)]);
  return out;
}

const SENTENCES = [
  'The meeting will begin at nine tomorrow morning in the small room on the second floor.',
  'Please write down the name of every person who called the office this week.',
  'We should look at the results again before we tell the team about the change.',
  'She said the water in the old house was always cold during the winter months.',
  'If the business grows next year we will need a larger office near the city.',
  'My father often told me a long story about the war before I went to sleep.',
];

/** Real speech clips first, then espeak sentences, in a fixed order. */
function speechParts(): string[] {
  mkdirSync(BENCH_AUDIO, { recursive: true });
  const en = join(SHARED, 'audio/en');
  const real = readdirSync(en)
    .filter((f) => f.endsWith('.wav') && !f.startsWith('silero'))
    .sort()
    .map((f) => norm(join(en, f), join(BENCH_AUDIO, `real-${f}`)));
  const voices = ['en-us', 'en-gb', 'en-us+f2', 'en-gb-scotland'];
  const synth = SENTENCES.map((text, i) => {
    const out = join(BENCH_AUDIO, `espeak-${i}.wav`);
    if (!existsSync(out)) {
      execFileSync('espeak-ng', ['-v', voices[i % voices.length], '-s', '160', '-w', `${out}.raw.wav`, text]);
      norm(`${out}.raw.wav`, out);
    }
    return out;
  });
  return [...real, ...synth];
}

function choose(totalSeconds: number, silenceShare: number): { chosen: string[]; speech: number } {
  const parts = speechParts();
  const speechTarget = totalSeconds * (1 - silenceShare);
  const chosen: string[] = [];
  let speech = 0;
  for (let i = 0; speech < speechTarget; i++) {
    const p = parts[i % parts.length];
    chosen.push(p);
    speech += seconds(p);
  }
  return { chosen, speech };
}

/** What is said in a bench file: the clips' reference transcripts and the espeak sentences, in order. */
export function benchReference(totalSeconds: number, silenceShare: number): string {
  return referenceOf(choose(totalSeconds, silenceShare).chosen);
}

function referenceOf(chosen: string[]): string {
  const tsv = readFileSync(join(SHARED, 'audio/transcripts.tsv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split('\t'));
  const refs = new Map(tsv.map(([file, , , text]) => [`real-${file.split('/').pop()}`, text]));
  return chosen
    .map((p) => {
      const name = p.split('/').pop()!;
      const m = /^espeak-(\d+)\.wav$/.exec(name);
      return m ? SENTENCES[Number(m[1])] : (refs.get(name) ?? '');
    })
    .join(' ');
}

/** Utterances with pauses until `totalSeconds`, pauses taking `silenceShare` of it; trimmed exactly. */
function build(name: string, totalSeconds: number, silenceShare: number): string {
  const out = join(BENCH_AUDIO, name);
  if (existsSync(out)) return out;
  const { chosen, speech } = choose(totalSeconds, silenceShare);
  const pause = (totalSeconds - speech) / chosen.length;
  // Vary pauses ±50 % around the mean (fixed pattern), never below 0.3 s.
  const pattern = [0.5, 1.5, 1.0, 0.7, 1.3];
  const files = chosen.flatMap((p, i) => [p, silence(Math.max(0.3, pause * pattern[i % pattern.length]))]);
  execFileSync('sox', ['-R', ...files, out, 'trim', '0', String(totalSeconds)]);
  return out;
}

/** Pauses between read sentences, seconds: 0.5 to 3, in a fixed order. */
const READ_PAUSES = [0.5, 2.0, 1.0, 3.0, 1.5, 0.8, 2.5, 1.2];

/** Sentences and pauses from READ_PAUSES until `totalSeconds` of audio. */
function readChoice(totalSeconds: number): string[] {
  const parts = speechParts();
  const chosen: string[] = [];
  for (let i = 0, at = 0; at < totalSeconds; i++) {
    chosen.push(parts[i % parts.length]);
    at += seconds(parts[i % parts.length]) + READ_PAUSES[i % READ_PAUSES.length];
  }
  return chosen;
}

function buildRead(name: string, totalSeconds: number): string {
  const out = join(BENCH_AUDIO, name);
  if (existsSync(out)) return out;
  const files = readChoice(totalSeconds).flatMap((p, i) => [p, silence(READ_PAUSES[i % READ_PAUSES.length])]);
  execFileSync('sox', ['-R', ...files, out, 'trim', '0', String(totalSeconds)]);
  return out;
}

/** What is said in the read file (its last sentence may be cut by the trim). */
export function readReference(totalSeconds: number): string {
  return referenceOf(readChoice(totalSeconds));
}

/** The read file alone (tests/unit/long-form-fallbacks.test.ts builds only this one). */
export function readAudio(): string {
  return buildRead('5min-read.wav', 300);
}

export function benchAudio(): { '60s': string; '10min': string; '5min-read': string; live: string } {
  // `live` is played by the fake microphone: utterances and pauses of 0.5–1.5 × the mean.
  return { '60s': build('60s.wav', 60, 0.1), '10min': build('10min.wav', 600, 0.25), '5min-read': readAudio(), live: build('live-120s.wav', 120, 0.35) };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const a = benchAudio();
  for (const [k, f] of Object.entries(a)) console.log(k, f, seconds(f).toFixed(1), 's');
}
