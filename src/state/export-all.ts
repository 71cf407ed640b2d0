/**
 * "Export all": every finished transcript of the queue in every format the user ticked, as one
 * zip (fflate). Each transcript is read from the history (so edits, speaker names and its
 * Chinese script are in it) and named as a single export is (`<file>.<lang>.<ext>`); two files
 * of one name get " (2)" before the language.
 */
import { zipSync } from 'fflate';
import { docxLabels, uiSpeakerNames } from '../i18n/export-labels';
import { formatsFor, renderExport, type ExportFormat } from '../domain/transcript/exports';
import { convertTranscript } from '../domain/transcript/script';
import type { Transcript } from '../domain/transcript/types';
import { loadConverter } from '../services/chinese-script';
import type { HistoryEntry } from '../services/history';

export function transcriptOf(entry: HistoryEntry): Transcript {
  return {
    segments: entry.segments,
    language: entry.language,
    model: entry.model,
    task: entry.task,
    duration: entry.duration,
    completedUntil: entry.state === 'complete' ? entry.duration : entry.completedUntil,
    sourceName: entry.name,
    speakers: entry.speakers,
    script: entry.script,
  };
}

export async function exportAllZip(entries: readonly HistoryEntry[], formats: readonly ExportFormat[]): Promise<{ zip: Uint8Array; files: number }> {
  const files: Record<string, Uint8Array> = {};
  const used = new Set<string>();
  const encoder = new TextEncoder();
  const seen = new Map<string, number>();
  for (const entry of entries) {
    const t = convertTranscript(transcriptOf(entry), await loadConverter(entry.script ?? 'original'));
    // The same file name twice (two recordings called "interview.m4a"): the second gets " (2)".
    const n = (seen.get(entry.name) ?? 0) + 1;
    seen.set(entry.name, n);
    const named = n > 1 ? { ...t, sourceName: entry.name.replace(/(\.[^.]+)?$/, ` (${n})$1`) } : t;
    for (const format of formats.filter((f) => formatsFor(named).includes(f))) {
      const out = await renderExport(named, format, uiSpeakerNames(named), docxLabels(named));
      let name = out.name;
      for (let k = 2; used.has(name); k++) name = out.name.replace(/(\.[^.]+\.[^.]+)$/, ` (${k})$1`);
      used.add(name);
      files[name] = typeof out.data === 'string' ? encoder.encode(out.data) : out.data;
    }
  }
  return { zip: zipSync(files, { level: 6 }), files: Object.keys(files).length };
}
