import type { Segment, Transcript } from './types';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `HH:MM:SS{sep}mmm`, rounding to the millisecond once so parts never show 60 or 1000. */
export function formatTimestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const s = Math.floor(totalMs / 1000) % 60;
  const m = Math.floor(totalMs / 60_000) % 60;
  const h = Math.floor(totalMs / 3_600_000);
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms, 3)}`;
}

/** Short display form: `m:ss` or `h:mm:ss`. */
export function formatClock(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Subtitle cues must not contain blank lines (they end a cue) nor `-->`. */
function cueText(text: string): string {
  return text
    .trim()
    .replace(/\r\n?/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .replace(/-->/g, '→');
}

function printable(segments: readonly Segment[]): Segment[] {
  return segments.filter((s) => s.text.trim() !== '');
}

export function toSrt(segments: readonly Segment[]): string {
  return printable(segments)
    .map(
      (s, i) =>
        `${i + 1}\n${formatTimestamp(s.start, ',')} --> ${formatTimestamp(Math.max(s.end, s.start), ',')}\n${cueText(s.text)}\n`,
    )
    .join('\n');
}

export function toVtt(segments: readonly Segment[]): string {
  const cues = printable(segments).map(
    (s) => `${formatTimestamp(s.start, '.')} --> ${formatTimestamp(Math.max(s.end, s.start), '.')}\n${cueText(s.text)}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

export function toTxt(segments: readonly Segment[]): string {
  return printable(segments)
    .map((s) => s.text.trim())
    .join('\n') + '\n';
}

export interface JsonExport {
  version: 1;
  model: string;
  language: string | null;
  task: string;
  duration: number;
  completed: boolean;
  source: string;
  segments: Segment[];
}

export function toJson(t: Transcript): string {
  const doc: JsonExport = {
    version: 1,
    model: t.model,
    language: t.language,
    task: t.task,
    duration: round3(t.duration),
    completed: t.completedUntil >= t.duration,
    source: t.sourceName,
    segments: printable(t.segments).map((s) => {
      const out: Segment = { start: round3(s.start), end: round3(s.end), text: s.text.trim() };
      // The decoding figures and word timings, when the transcript has them (files; not live).
      if (s.avg_logprob !== undefined) out.avg_logprob = s.avg_logprob;
      if (s.no_speech_prob !== undefined) out.no_speech_prob = s.no_speech_prob;
      if (s.temperature !== undefined) out.temperature = s.temperature;
      if (s.compression_ratio !== undefined) out.compression_ratio = s.compression_ratio;
      if (s.words) out.words = s.words.map((w) => ({ word: w.word, start: round3(w.start), end: round3(w.end), probability: w.probability }));
      return out;
    }),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Parse `HH:MM:SS,mmm` or `HH:MM:SS.mmm` (also `MM:SS.mmm`, allowed in WebVTT). */
export function parseTimestamp(text: string): number {
  const m = /^(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})$/.exec(text.trim());
  if (!m) throw new SyntaxError(`Not a timestamp: ${text}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000;
}

/** Read SRT or WebVTT cues back (used by tests, and by anyone re-importing an export). */
export function parseCues(text: string): Segment[] {
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  const out: Segment[] = [];
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l !== '');
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0) continue;
    const [a, b] = lines[timing].split('-->');
    out.push({
      start: parseTimestamp(a),
      end: parseTimestamp(b.trim().split(/\s+/)[0]),
      text: lines.slice(timing + 1).join('\n'),
    });
  }
  return out;
}
