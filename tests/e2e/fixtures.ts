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
export const TINY_MODEL = join(SHARED, 'models/earshot-test-tiny');

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

/** A file that claims to be MP3 but is noise, and a zero-byte WAV. */
export function badFiles(): { corrupt: string; empty: string } {
  mkdirSync(FIXTURES, { recursive: true });
  const corrupt = join(FIXTURES, 'corrupt.mp3');
  const empty = join(FIXTURES, 'empty.wav');
  if (!existsSync(corrupt)) {
    const bytes = Buffer.alloc(64 * 1024);
    let x = 12345;
    for (let i = 0; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    writeFileSync(corrupt, bytes);
  }
  if (!existsSync(empty)) writeFileSync(empty, '');
  return { corrupt, empty };
}

/** Join clips with pauses into one file (sox), e.g. for long-form and cancel tests. */
export function joinWithPauses(name: string, inputs: string[], pauseSeconds: number[]): string {
  mkdirSync(FIXTURES, { recursive: true });
  const out = join(FIXTURES, name);
  if (existsSync(out)) return out;
  const parts: string[] = [];
  inputs.forEach((file, i) => {
    const norm = join(FIXTURES, `part-${name}-${i}.wav`);
    execFileSync('sox', [file, '-r', '16000', '-c', '1', '-b', '16', norm]);
    parts.push(norm);
    const gap = join(FIXTURES, `gap-${pauseSeconds[i % pauseSeconds.length]}.wav`);
    if (!existsSync(gap)) execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', gap, 'trim', '0', String(pauseSeconds[i % pauseSeconds.length])]);
    parts.push(gap);
  });
  execFileSync('sox', [...parts, out]);
  return out;
}
