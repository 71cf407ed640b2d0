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
