import { MESSAGES, type Locale, type MessageKey } from './messages';

const STORAGE_KEY = 'earshot.locale';

export function localeFor(languages: readonly string[]): Locale {
  for (const l of languages) {
    const lower = l.toLowerCase();
    if (lower.startsWith('zh')) return 'zh';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

class I18n {
  locale = $state<Locale>('en');

  constructor() {
    const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
    this.locale = saved === 'en' || saved === 'zh' ? saved : localeFor(typeof navigator !== 'undefined' ? navigator.languages : []);
  }

  /** BCP 47 tag for Intl APIs and `<html lang>`. */
  get tag(): string {
    return this.locale === 'zh' ? 'zh-CN' : 'en';
  }

  set(locale: Locale) {
    this.locale = locale;
    localStorage.setItem(STORAGE_KEY, locale);
    document.documentElement.lang = this.tag;
  }

  t = (key: MessageKey, params: Record<string, string | number> = {}): string =>
    MESSAGES[this.locale][key].replace(/\{(\w+)\}/g, (_, p: string) => String(params[p] ?? `{${p}}`));
}

export const i18n = new I18n();
