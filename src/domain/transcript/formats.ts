import { toRttm } from '../diarization/turns';
import { speakerId } from '../diarization/assign';
import type { Segment, Transcript, Word } from './types';

/** A speaker's name for export, from the id a segment carries (`S1` → `Dr. Lee`, or `Speaker 1`). */
export type SpeakerNames = (id: string) => string;

export const defaultSpeakerName: SpeakerNames = (id) => `Speaker ${id.replace(/^S/, '')}`;

/** Names for a transcript: the ones people gave, else `fallback` (the UI's "Speaker n" in its language). */
export function speakerNames(names: Record<string, string> | undefined, fallback: SpeakerNames = defaultSpeakerName): SpeakerNames {
  return (id) => names?.[id]?.trim() || fallback(id);
}

/** Consecutive segments of one speaker: a turn. */
export function turnsOf<T extends Segment>(segments: readonly T[]): { speaker: string | undefined; segments: T[] }[] {
  const out: { speaker: string | undefined; segments: T[] }[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.speaker === s.speaker) last.segments.push(s);
    else out.push({ speaker: s.speaker, segments: [s] });
  }
  return out;
}

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

/** `Name: ` before a line of a segment with a speaker. */
function prefix(s: Segment, names: SpeakerNames): string {
  return s.speaker ? `${names(s.speaker)}: ` : '';
}

export function toSrt(segments: readonly Segment[], names: SpeakerNames = defaultSpeakerName): string {
  return printable(segments)
    .map(
      (s, i) =>
        `${i + 1}\n${formatTimestamp(s.start, ',')} --> ${formatTimestamp(Math.max(s.end, s.start), ',')}\n${prefix(s, names)}${cueText(s.text)}\n`,
    )
    .join('\n');
}

/** WebVTT cue text is markup: `<`, `&` (and `>` in a voice name) are escaped. */
function vttEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** WebVTT, a speaker as a voice span (`<v Dr. Lee>text</v>`), which players show and parsers read. */
export function toVtt(segments: readonly Segment[], names: SpeakerNames = defaultSpeakerName): string {
  const cues = printable(segments).map((s) => {
    const text = vttEscape(cueText(s.text));
    const body = s.speaker ? `<v ${vttEscape(names(s.speaker))}>${text}</v>` : text;
    return `${formatTimestamp(s.start, '.')} --> ${formatTimestamp(Math.max(s.end, s.start), '.')}\n${body}\n`;
  });
  return ['WEBVTT\n', ...cues].join('\n');
}

export function toTxt(segments: readonly Segment[], names: SpeakerNames = defaultSpeakerName): string {
  return printable(segments)
    .map((s) => prefix(s, names) + s.text.trim())
    .join('\n') + '\n';
}

/** Markdown: a heading, then one paragraph per turn (`**Name** [m:ss]`), the turn's segments as one paragraph. */
export function toMarkdown(t: Transcript, names: SpeakerNames = speakerNames(t.speakers)): string {
  const md = (text: string) => text.replace(/([\\`*_[\]<>#|])/g, '\\$1');
  const paragraphs = turnsOf(printable(t.segments)).map((turn) => {
    const head = `${turn.speaker ? `**${md(names(turn.speaker))}** ` : ''}[${formatClock(turn.segments[0].start)}]`;
    return `${head} ${md(turn.segments.map((s) => s.text.trim()).join(' '))}`;
  });
  return `# ${md(t.sourceName || 'Transcript')}\n\n${paragraphs.join('\n\n')}\n`;
}

/**
 * RTTM, file id = the file's base name: the speaker search's own turns where it left them (overlap
 * and speech without words included — what DER is measured on), else one `SPEAKER` line per turn
 * of the transcript (consecutive segments of one speaker).
 */
export function toSpeakerRttm(t: Transcript, names: SpeakerNames = speakerNames(t.speakers)): string {
  const fileId = (t.sourceName || 'audio').replace(/\.[^.]+$/, '');
  if (t.speakerTurns?.length) {
    const found = [...t.speakerTurns].sort((a, b) => a.start - b.start || a.speaker - b.speaker);
    return toRttm(fileId, found.map((turn) => ({ start: turn.start, end: turn.end, name: names(speakerId(turn.speaker)) })));
  }
  const turns = turnsOf(printable(t.segments))
    .filter((turn) => turn.speaker)
    .map((turn) => ({ start: turn.segments[0].start, end: turn.segments[turn.segments.length - 1].end, name: names(turn.speaker!) }));
  return toRttm(fileId, turns);
}

export interface JsonExport {
  version: 1;
  model: string;
  language: string | null;
  task: string;
  duration: number;
  completed: boolean;
  source: string;
  /** The Chinese script the text was converted to (absent: as the model wrote it). */
  script?: string;
  /** Speakers by id with their names (when speakers were found). */
  speakers?: Record<string, string>;
  segments: (Omit<Segment, 'words'> & { words?: (Word & { speaker?: string })[] })[];
}

export function toJson(t: Transcript, names: SpeakerNames = speakerNames(t.speakers)): string {
  const ids = [...new Set(t.segments.map((s) => s.speaker).filter((x): x is string => !!x))];
  const doc: JsonExport = {
    version: 1,
    model: t.model,
    language: t.language,
    task: t.task,
    duration: round3(t.duration),
    completed: t.completedUntil >= t.duration,
    source: t.sourceName,
    ...(t.script && t.script !== 'original' ? { script: t.script } : {}),
    ...(ids.length ? { speakers: Object.fromEntries(ids.map((id) => [id, names(id)])) } : {}),
    segments: printable(t.segments).map((s) => {
      const speaker = s.speaker ? names(s.speaker) : undefined;
      const out: JsonExport['segments'][number] = { start: round3(s.start), end: round3(s.end), text: s.text.trim(), ...(speaker ? { speaker } : {}) };
      // The decoding figures and word timings, when the transcript has them (files; not live).
      if (s.avg_logprob !== undefined) out.avg_logprob = s.avg_logprob;
      if (s.no_speech_prob !== undefined) out.no_speech_prob = s.no_speech_prob;
      if (s.temperature !== undefined) out.temperature = s.temperature;
      if (s.compression_ratio !== undefined) out.compression_ratio = s.compression_ratio;
      if (s.words) out.words = s.words.map((w) => ({ word: w.word, start: round3(w.start), end: round3(w.end), probability: w.probability, ...(w.approximate ? { approximate: true } : {}), ...(speaker ? { speaker } : {}) }));
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

/**
 * A spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage
 * return before one) as a formula: a transcript line like "=HYPERLINK(…)" or "-2+3" would be
 * executed. OWASP's remedy: a leading apostrophe, which spreadsheets show as text and hide.
 */
function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

const SEPARATED_HEADER = ['start', 'end', 'speaker', 'text'];

function rows(segments: readonly Segment[], names: SpeakerNames): string[][] {
  return printable(segments).map((s) => [s.start.toFixed(3), Math.max(s.end, s.start).toFixed(3), s.speaker ? neutralise(names(s.speaker)) : '', neutralise(s.text.trim())]);
}

/** CSV (RFC 4180): start and end in seconds, speaker name, text; UTF-8 with a BOM so Excel reads Chinese. */
export function toCsv(segments: readonly Segment[], names: SpeakerNames = defaultSpeakerName): string {
  const quote = (cell: string) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  return '\ufeff' + [SEPARATED_HEADER, ...rows(segments, names)].map((r) => r.map(quote).join(',')).join('\r\n') + '\r\n';
}

/** TSV: the same columns; TSV has no quoting, so tabs and line breaks inside text become spaces. */
export function toTsv(segments: readonly Segment[], names: SpeakerNames = defaultSpeakerName): string {
  const clean = (cell: string) => cell.replace(/[\t\r\n]+/g, ' ');
  return [SEPARATED_HEADER, ...rows(segments, names)].map((r) => r.map(clean).join('\t')).join('\n') + '\n';
}

/**
 * Read a CSV export back (RFC 4180 quoting; the formula guard removed): one record per row,
 * keyed by the header. Used by tests and by anyone re-importing an export.
 */
export function parseCsv(text: string): Record<string, string>[] {
  const records: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const src = text.replace(/^\ufeff/, '');
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n' || (c === '\r' && src[i + 1] === '\n')) {
      if (c === '\r') i++;
      row.push(cell);
      records.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) records.push([...row, cell]);
  const [header = [], ...body] = records;
  const unguard = (v: string) => (/^'[=+\-@\t\r]/.test(v) ? v.slice(1) : v);
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, unguard(r[i] ?? '')])));
}

/**
 * One name for every export: `<file name>.<language>.<ext>` (`interview.zh-Hant-TW.srt`). The
 * language is the text's: a translation's is English, a converted Chinese text's is its script,
 * an unknown one `und` (BCP 47's "undetermined").
 */
export function exportName(sourceName: string, language: string | null, ext: string): string {
  const dot = sourceName.lastIndexOf('.');
  const base = (dot > 0 ? sourceName.slice(0, dot) : sourceName).trim() || 'transcript';
  return `${base}.${language || 'und'}.${ext}`;
}
