/**
 * "Export all": every finished transcript of the queue in every format the user ticked, as one
 * zip (fflate). Each transcript is read from the history (so edits, speaker names and its
 * Chinese script are in it) and named as a single export is (`<file>.<lang>.<ext>`); two files
 * of one name (two recordings called "interview.m4a") get " (2)" before the language.
 */
import { zipSync } from 'fflate';
import { docxLabels, uiSpeakerNames } from '../i18n/export-labels';
import { formatsFor, renderExport, type ExportFormat } from '../domain/transcript/exports';
import { convertTranscript } from '../domain/transcript/script';
import type { Transcript } from '../domain/transcript/types';
import { loadConverter } from '../services/chinese-script';
import type { HistoryEntry } from '../services/history';

function transcriptOf(entry: HistoryEntry): Transcript {
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

export async function exportAllZip(entries: readonly HistoryEntry[], formats: readonly ExportFormat[]): Promise<Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  const encoder = new TextEncoder();
  for (const entry of entries) {
    const t = convertTranscript(transcriptOf(entry), await loadConverter(entry.script ?? 'original'));
    const usable = formatsFor(t);
    for (const format of formats.filter((f) => usable.includes(f))) {
      const out = await renderExport(t, format, uiSpeakerNames(t), docxLabels(t));
      let name = out.name;
      for (let k = 2; name in files; k++) name = out.name.replace(/(\.[^.]+\.[^.]+)$/, ` (${k})$1`);
      files[name] = typeof out.data === 'string' ? encoder.encode(out.data) : out.data;
    }
  }
  return zipSync(files, { level: 6 });
}
