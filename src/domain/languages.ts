/**
 * Whisper's languages, in its token order (openai/whisper `tokenizer.LANGUAGES`; `yue` only in
 * large-v3 and later). Display names come from `Intl.DisplayNames` in the UI's locale, so both
 * the English and Chinese UI get proper names without a second table to keep in sync.
 */
export const WHISPER_LANGUAGES = [
  'en', 'zh', 'de', 'es', 'ru', 'ko', 'fr', 'ja', 'pt', 'tr', 'pl', 'ca', 'nl', 'ar', 'sv', 'it',
  'id', 'hi', 'fi', 'vi', 'he', 'uk', 'el', 'ms', 'cs', 'ro', 'da', 'hu', 'ta', 'no', 'th', 'ur',
  'hr', 'bg', 'lt', 'la', 'mi', 'ml', 'cy', 'sk', 'te', 'fa', 'lv', 'bn', 'sr', 'az', 'sl', 'kn',
  'et', 'mk', 'br', 'eu', 'is', 'hy', 'ne', 'mn', 'bs', 'kk', 'sq', 'sw', 'gl', 'mr', 'pa', 'si',
  'km', 'sn', 'yo', 'so', 'af', 'oc', 'ka', 'be', 'tg', 'sd', 'gu', 'am', 'yi', 'lo', 'uz', 'fo',
  'ht', 'ps', 'tk', 'nn', 'mt', 'sa', 'lb', 'my', 'bo', 'tl', 'mg', 'as', 'tt', 'haw', 'ln', 'ha',
  'ba', 'jw', 'su', 'yue',
] as const;

export type WhisperLanguage = (typeof WHISPER_LANGUAGES)[number];

/** Whisper's codes that differ from BCP 47. */
const BCP47: Record<string, string> = { jw: 'jv' };

const displayNameCache = new Map<string, Intl.DisplayNames>();

export function languageName(code: string, uiLocale: string): string {
  let names = displayNameCache.get(uiLocale);
  if (!names) {
    names = new Intl.DisplayNames([uiLocale, 'en'], { type: 'language', fallback: 'code' });
    displayNameCache.set(uiLocale, names);
  }
  try {
    return names.of(BCP47[code] ?? code) ?? code;
  } catch {
    return code;
  }
}
