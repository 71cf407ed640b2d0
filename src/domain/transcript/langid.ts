import type { LanguageGuess } from './types';

/**
 * Whisper's language identification: after `<|startoftranscript|>` the decoder's next-token
 * distribution, restricted to the language tokens and renormalised, is the language posterior
 * (openai/whisper `detect_language`). `logits` is that step's full vocabulary row.
 */
export function languageProbabilities(
  logits: ArrayLike<number>,
  languageTokens: ReadonlyMap<string, number>,
): LanguageGuess[] {
  let max = -Infinity;
  for (const id of languageTokens.values()) max = Math.max(max, logits[id]);
  let sum = 0;
  const raw: LanguageGuess[] = [];
  for (const [code, id] of languageTokens) {
    const e = Math.exp(logits[id] - max); // subtract the max: no overflow for large logits
    sum += e;
    raw.push({ code, probability: e });
  }
  for (const g of raw) g.probability /= sum;
  return raw.sort((a, b) => b.probability - a.probability);
}

/** `<|en|>` → `en`, from a generation config's `lang_to_id`. */
export function languageTokenMap(langToId: Record<string, number>): Map<string, number> {
  const map = new Map<string, number>();
  for (const [token, id] of Object.entries(langToId)) {
    const m = /^<\|([a-z]{2,3}(?:-[a-z]+)?)\|>$/i.exec(token);
    if (m) map.set(m[1], id);
  }
  return map;
}

/** Below this top probability Whisper's guess counts as unsure. */
export const UNSURE_LANGUAGE = 0.6;
/** A language the user speaks wins an unsure guess only with at least this probability. */
const CONTENDER = 0.1;

/**
 * Whisper's guess from one decoder step spreads its bets on short or accented speech (a
 * Mandarin clip: Burmese 0.35, Mandarin 0.32, Tibetan 0.23). When it is unsure, a language the
 * user speaks (the UI's, the browser's) that is a real contender is taken instead: a prior,
 * applied only where the model cannot tell. Returns the guesses with the choice first.
 */
export function preferLanguages(guesses: readonly LanguageGuess[], preferred: readonly string[]): LanguageGuess[] {
  if (guesses.length === 0 || guesses[0].probability >= UNSURE_LANGUAGE) return [...guesses];
  const pick = guesses.find((g) => g.probability >= CONTENDER && preferred.includes(g.code));
  return pick ? [pick, ...guesses.filter((g) => g !== pick)] : [...guesses];
}

/** Whisper codes of BCP 47 tags (`zh-CN` → `zh`, `en-US` → `en`), in order, without repeats. */
export function whisperCodesOf(tags: readonly string[]): string[] {
  return [...new Set(tags.map((t) => t.split('-')[0].toLowerCase()).filter((c) => /^[a-z]{2,3}$/.test(c)))];
}
