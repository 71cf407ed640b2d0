/**
 * Every export format in one table, so the export bar, "export all" and the tests render a
 * transcript the same way and name the file the same way (`<file>.<lang>.<ext>`).
 */
import type { DocxLabels } from './docx';
import { exportName, speakerNames, toCsv, toJson, toMarkdown, toSpeakerRttm, toSrt, toTsv, toTxt, toVtt, type SpeakerNames } from './formats';
import type { Transcript } from './types';

export const EXPORT_FORMATS = [
  { id: 'txt', mime: 'text/plain' },
  { id: 'md', mime: 'text/markdown' },
  { id: 'srt', mime: 'application/x-subrip' },
  { id: 'vtt', mime: 'text/vtt' },
  { id: 'docx', mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
  { id: 'csv', mime: 'text/csv' },
  { id: 'tsv', mime: 'text/tab-separated-values' },
  { id: 'json', mime: 'application/json' },
  /** Only for a transcript with speakers. */
  { id: 'rttm', mime: 'text/plain' },
] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number]['id'];

export function isExportFormat(value: unknown): value is ExportFormat {
  return EXPORT_FORMATS.some((f) => f.id === value);
}

function hasSpeakers(t: Transcript): boolean {
  return t.segments.some((s) => s.speaker);
}

/** Formats that make sense for this transcript (RTTM needs speakers). */
export function formatsFor(t: Transcript): ExportFormat[] {
  return EXPORT_FORMATS.map((f) => f.id).filter((id) => id !== 'rttm' || hasSpeakers(t));
}

/** The language of the text as written: English for a translation, the script of converted Chinese. */
export function textLanguage(t: Transcript): string | null {
  if (t.task === 'translate') return 'en';
  if (t.script && t.script !== 'original' && (!t.language || t.language === 'zh' || t.language === 'yue')) return t.script;
  return t.language;
}

export function exportFileName(t: Transcript, format: ExportFormat): string {
  return exportName(t.sourceName, textLanguage(t), format);
}

export interface Rendered {
  name: string;
  mime: string;
  data: string | Uint8Array;
}

export async function renderExport(t: Transcript, format: ExportFormat, names: SpeakerNames = speakerNames(t.speakers), docxLabels?: DocxLabels): Promise<Rendered> {
  const mime = EXPORT_FORMATS.find((f) => f.id === format)!.mime;
  const name = exportFileName(t, format);
  const text = (data: string): Rendered => ({ name, mime: `${mime};charset=utf-8`, data });
  switch (format) {
    case 'txt':
      return text(toTxt(t.segments, names));
    case 'md':
      return text(toMarkdown(t, names));
    case 'srt':
      return text(toSrt(t.segments, names));
    case 'vtt':
      return text(toVtt(t.segments, names));
    case 'csv':
      return text(toCsv(t.segments, names));
    case 'tsv':
      return text(toTsv(t.segments, names));
    case 'json':
      return text(toJson(t, names));
    case 'rttm':
      return text(toSpeakerRttm(t, names));
    case 'docx': {
      const { toDocx } = await import('./docx');
      return { name, mime, data: await toDocx(t, names, docxLabels) };
    }
  }
}
