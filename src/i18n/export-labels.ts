import type { DocxLabels } from '../domain/transcript/docx';
import type { ExportFormat } from '../domain/transcript/exports';
import { formatClock, speakerNames, type SpeakerNames } from '../domain/transcript/formats';
import type { Transcript } from '../domain/transcript/types';
import { languageName } from '../domain/languages';
import { i18n } from './i18n.svelte';

/** Button and checkbox labels of the formats, in the UI language. */
export function formatLabel(format: ExportFormat): string {
  const t = i18n.t;
  switch (format) {
    case 'md':
      return t('exportMd');
    case 'rttm':
      return t('exportRttm');
    case 'docx':
      return t('exportDocx');
    case 'vtt':
      return 'WebVTT';
    default:
      return format.toUpperCase();
  }
}

/** Speakers by the names people gave them, else "Speaker n" in the UI's language. */
export function uiSpeakerNames(t: Transcript): SpeakerNames {
  return speakerNames(t.speakers, (id) => i18n.t('speakerDefault', { n: id.replace(/^S/, '') }));
}

/** The DOCX table's headings and its line under the title, in the UI language. */
export function docxLabels(t: Transcript): DocxLabels {
  const about = [formatClock(t.duration), t.language ? languageName(t.language, i18n.tag) : null, t.model].filter(Boolean).join(' · ');
  return { time: i18n.t('colTime'), speaker: i18n.t('colSpeaker'), text: i18n.t('colText'), about };
}
