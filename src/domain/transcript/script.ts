/**
 * Which Chinese script the text is shown and exported in. Whisper writes Mandarin in whatever
 * script its training text had (whisper-base writes mainland speech in Traditional characters,
 * 我認為跑步…), often both in one transcript; people need one, often their region's. The
 * conversion itself is OpenCC's (phrase-level dictionaries, `services/chinese-script.ts`); this
 * module is what the app does with a converter: which script a reader wants, and how a
 * segment's text and its timed words are converted together.
 */
import type { Script, Segment, Transcript, Word } from './types';

export type { Script };
export const SCRIPTS: readonly Script[] = ['original', 'zh-Hans', 'zh-Hant-TW', 'zh-Hant-HK'];

export type Convert = (text: string) => string;

export function isScript(value: unknown): value is Script {
  return typeof value === 'string' && (SCRIPTS as readonly string[]).includes(value);
}

/**
 * The script a reader of this UI language wants by default: the Simplified Chinese UI gets
 * Simplified, unless the browser says Taiwan or Hong Kong first; other UIs keep the model's text.
 */
export function defaultScript(uiLocale: string, browserLanguages: readonly string[] = []): Script {
  if (!uiLocale.toLowerCase().startsWith('zh')) return 'original';
  const chinese = browserLanguages.map((l) => l.toLowerCase()).find((l) => l.startsWith('zh'));
  if (chinese && /^zh-(hant-)?tw\b/.test(chinese)) return 'zh-Hant-TW';
  if (chinese && /^zh-(hant-)?(hk|mo)\b/.test(chinese)) return 'zh-Hant-HK';
  return 'zh-Hans';
}

/**
 * The segment in another script. The text is converted whole (OpenCC's phrases need their
 * context: 鼠标 → 滑鼠 is one phrase, not two characters); the words — one per character in
 * Chinese — are converted as one string too and cut back at their own lengths, so each keeps
 * its time. Where a phrase changes length (U盘 → 隨身碟) the words are converted one by one.
 * An unchanged segment is returned as the same object (views and edits rely on that).
 */
export function convertSegment<T extends Segment>(segment: T, convert: Convert): T {
  const text = convert(segment.text);
  const words = segment.words ? convertWords(segment.words, convert) : undefined;
  if (text === segment.text && words === segment.words) return segment;
  return { ...segment, text, ...(words ? { words } : {}) };
}

function convertWords(words: Word[], convert: Convert): Word[] {
  const joined = words.map((w) => w.word).join('');
  const converted = convert(joined);
  if (converted === joined) return words;
  if (converted.length !== joined.length) return words.map((w) => ({ ...w, word: convert(w.word) }));
  let at = 0;
  return words.map((w) => {
    const word = converted.slice(at, at + w.word.length);
    at += w.word.length;
    return word === w.word ? w : { ...w, word };
  });
}

/** The transcript as a reader sees it in the chosen script (the same object without a converter). */
export function convertTranscript(t: Transcript, convert: Convert | null): Transcript {
  return convert ? { ...t, segments: t.segments.map((s) => convertSegment(s, convert)) } : t;
}
