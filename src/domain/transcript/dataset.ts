/**
 * Corrections as fine-tuning data: the segments a person checked, cut from the 16 kHz audio at
 * their times, as WAV clips with a Hugging Face `audiofolder` `metadata.jsonl` and the same rows
 * in ms-swift's `{"audio", "text"}` form. Pure: the zip itself is written by fflate.
 */
import { zipSync, strToU8 } from 'fflate';
import { floatToInt16, wavHeader } from '../audio/wav';
import type { DocSegment } from './document';

const RATE = 16_000;

/** What goes into the dataset: segments a person reviewed or corrected, with text and a span. */
export function datasetSegments(segments: readonly DocSegment[]): DocSegment[] {
  return segments.filter((s) => (s.reviewed || s.edited) && s.text.trim() !== '' && s.end > s.start);
}

export function wavBytes(samples: Float32Array): Uint8Array {
  const pcm = floatToInt16(samples);
  const out = new Uint8Array(44 + pcm.byteLength);
  out.set(new Uint8Array(wavHeader(pcm.length, RATE)), 0);
  out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), 44);
  return out;
}

export interface DatasetRow {
  file_name: string;
  transcription: string;
  language: string | null;
  start: number;
  end: number;
}

/**
 * The zip: `data/metadata.jsonl` + `data/clips/0001.wav`… (load with
 * `load_dataset("audiofolder", data_dir="data")`), and `swift.jsonl` (`{"audio": "data/clips/…",
 * "text": …}`) for ms-swift. `audio` is the whole recording at 16 kHz mono.
 */
export function buildDataset(audio: Float32Array, segments: readonly DocSegment[], language: string | null, source: string): { zip: Uint8Array; rows: DatasetRow[] } {
  const files: Record<string, Uint8Array> = {};
  const rows: DatasetRow[] = [];
  datasetSegments(segments).forEach((s, i) => {
    const from = Math.max(0, Math.round(s.start * RATE));
    const to = Math.min(audio.length, Math.round(s.end * RATE));
    if (to <= from) return;
    const name = `clips/${String(i + 1).padStart(4, '0')}.wav`;
    files[`data/${name}`] = wavBytes(audio.subarray(from, to));
    rows.push({ file_name: name, transcription: s.text.trim(), language, start: from / RATE, end: to / RATE });
  });
  const jsonl = (items: object[]) => items.map((r) => JSON.stringify(r)).join('\n') + (items.length ? '\n' : '');
  files['data/metadata.jsonl'] = strToU8(jsonl(rows.map((r) => ({ ...r, source }))));
  files['swift.jsonl'] = strToU8(jsonl(rows.map((r) => ({ audio: `data/${r.file_name}`, text: r.transcription, ...(r.language ? { language: r.language } : {}) }))));
  // WAV barely compresses; storing it keeps the export instant on long recordings.
  return { zip: zipSync(files, { level: 0 }), rows };
}
