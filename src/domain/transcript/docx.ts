/**
 * Word (.docx) export with the `docx` library: a title, one line of what it is (length,
 * language, model), then the transcript as a table — time, speaker (when speakers were found),
 * text — which Word, Google Docs and LibreOffice all open and which people annotate by row.
 * Loaded on demand (the library is ~400 kB): `exports.ts` imports this module dynamically.
 */
import { AlignmentType, Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow, TextRun, WidthType } from 'docx';
import { defaultSpeakerName, formatClock, type SpeakerNames } from './formats';
import type { Transcript } from './types';

export interface DocxLabels {
  time: string;
  speaker: string;
  text: string;
  /** The line under the title, e.g. "12:04 · Mandarin · whisper-base". */
  about: string;
}

const EN_LABELS: DocxLabels = { time: 'Time', speaker: 'Speaker', text: 'Text', about: '' };

export async function toDocx(t: Transcript, names: SpeakerNames = defaultSpeakerName, labels: DocxLabels = EN_LABELS): Promise<Uint8Array> {
  const segments = t.segments.filter((s) => s.text.trim() !== '');
  const speakers = segments.some((s) => s.speaker);
  const cell = (text: string, width: number, bold = false) =>
    new TableCell({ width: { size: width, type: WidthType.PERCENTAGE }, children: [new Paragraph({ children: [new TextRun({ text, bold })] })] });
  const widths = speakers ? [16, 18, 66] : [16, 84];
  const header = new TableRow({
    tableHeader: true,
    children: [labels.time, ...(speakers ? [labels.speaker] : []), labels.text].map((h, i) => cell(h, widths[i], true)),
  });
  const body = segments.map(
    (s) =>
      new TableRow({
        children: [
          cell(`${formatClock(s.start)} – ${formatClock(Math.max(s.end, s.start))}`, widths[0]),
          ...(speakers ? [cell(s.speaker ? names(s.speaker) : '', widths[1])] : []),
          cell(s.text.trim(), widths[widths.length - 1]),
        ],
      }),
  );
  const doc = new Document({
    creator: 'Earshot',
    title: t.sourceName || 'Transcript',
    sections: [
      {
        children: [
          new Paragraph({ heading: HeadingLevel.HEADING_1, children: [new TextRun(t.sourceName || 'Transcript')] }),
          ...(labels.about ? [new Paragraph({ alignment: AlignmentType.LEFT, children: [new TextRun({ text: labels.about, italics: true })] })] : []),
          new Table({ width: { size: 100, type: WidthType.PERCENTAGE }, rows: [header, ...body] }),
        ],
      },
    ],
  });
  return new Uint8Array(await Packer.toArrayBuffer(doc));
}
