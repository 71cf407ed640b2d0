/**
 * OpenCC converters (opencc-js), loaded on first use: the dictionaries are ~1 MB of script, a
 * chunk of their own that only readers who pick a script download (the service worker precaches
 * it for offline use).
 *
 * Whisper's Chinese is a mix of scripts, so every target goes through Simplified first
 * (OpenCC's `tw` → `cn`: Taiwan variants and Traditional characters, with its phrase table for
 * one-to-many characters), then to the region's script with its phrases (`cn` → `twp`:
 * 软件 → 軟體, 鼠标 → 滑鼠; `cn` → `hk`: Hong Kong characters).
 */
import type { Convert, Script } from '../domain/transcript/script';

const cache = new Map<Script, Promise<Convert | null>>();

export function loadConverter(script: Script): Promise<Convert | null> {
  if (script === 'original') return Promise.resolve(null);
  let pending = cache.get(script);
  if (!pending) {
    pending = import('opencc-js').then((OpenCC) => {
      const toSimplified = OpenCC.Converter({ from: 'tw', to: 'cn' });
      if (script === 'zh-Hans') return toSimplified;
      const toRegion = OpenCC.Converter({ from: 'cn', to: script === 'zh-Hant-TW' ? 'twp' : 'hk' });
      return (text: string) => toRegion(toSimplified(text));
    });
    // A failed load (offline before the chunk was cached) may be tried again.
    pending.catch(() => cache.delete(script));
    cache.set(script, pending);
  }
  return pending;
}
