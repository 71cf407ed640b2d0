/** How speakers look on screen: a name (given, or "Speaker n" in the UI language) and a colour by order of appearance. */
import type { MessageKey } from '../../i18n/messages';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function speakerLabel(names: Readonly<Record<string, string>>, id: string, t: Translate): string {
  return names[id]?.trim() || t('speakerDefault', { n: id.replace(/^S/, '') });
}

/** Distinct hues that keep 3:1 contrast against the light panel (WCAG non-text contrast). */
const COLOURS = ['#1d4ed8', '#b45309', '#047857', '#9d174d', '#6d28d9', '#0e7490', '#a16207', '#be123c'];

export function speakerColour(index: number): string {
  return COLOURS[index % COLOURS.length];
}
