/**
 * The page's decisions without a page (src/state/controller.svelte.ts): the load request and job
 * options built from the settings, and the guard before anything downloads — a source this copy's
 * policy forbids, offline mode — said as a notice, with nothing started.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AppController, type PageEnv } from '../../src/state/controller.svelte';
import { ModelSession } from '../../src/state/model.svelte';
import { Settings } from '../../src/state/settings.svelte';
import type { AsrClient } from '../../src/services/asr-client';

const PAGE = 'https://earshot.example.org/app/';
let app: AppController | null = null;
afterEach(() => app?.destroy());

function make(search: string, env: Partial<PageEnv> = {}) {
  const settings = new Settings(search, null);
  // No worker: nothing here may reach it.
  const model = new ModelSession(() => new Proxy({}, { get: (_, k) => { throw new Error(`the worker was asked for ${String(k)}`); } }) as AsrClient);
  app = new AppController(settings, { href: () => PAGE, policy: () => null, languages: () => ['zh-CN', 'en-US'], storage: null, model, ...env });
  return { app, settings };
}

describe('AppController', () => {
  it('builds the load request from the settings, a relative model source resolved against the page', () => {
    const { app } = make('?models=models/&model=whisper-tiny.en&threads=2');
    expect(app.request()).toMatchObject({ modelId: 'whisper-tiny.en', source: { kind: 'custom', baseUrl: `${PAGE}models/` }, threads: 2, device: 'auto', dtype: 'auto' });
  });

  it('builds job options once, with the user’s languages for language detection', () => {
    const { app, settings } = make('');
    settings.language = 'auto';
    settings.prompt = 'ComfyUI';
    expect(app.jobOptions()).toMatchObject({ language: 'auto', prompt: 'ComfyUI', task: 'transcribe', preferredLanguages: ['zh', 'en'] });
    expect(app.jobOptions({ language: 'en' }).language).toBe('en');
  });

  it('starts nothing from a source the page’s policy forbids, and says which host', async () => {
    const { app } = make('?model=whisper-base', { policy: () => "default-src 'self'; connect-src 'self'" });
    let ran = false;
    await app.guarded(() => (ran = true));
    expect(ran).toBe(false);
    expect(app.notice).toEqual({ key: 'errSourceBlocked', params: { host: 'huggingface.co' } });
  });

  it('in offline mode, downloads nothing from another origin', async () => {
    const { app, settings } = make('?model=whisper-base');
    settings.offline = true;
    let ran = false;
    await app.guarded(() => (ran = true));
    expect(ran).toBe(false);
    expect(app.notice).toEqual({ key: 'errOfflineMode', params: { host: 'huggingface.co' } });
  });

  it('goes ahead from the page’s own origin, and saves the settings first', async () => {
    const saved: Record<string, string> = {};
    const storage = { setItem: (k: string, v: string) => (saved[k] = v), getItem: () => null } as unknown as Storage;
    const { app, settings } = make('?models=models/&model=whisper-tiny.en', { policy: () => "connect-src 'self'", storage });
    settings.offline = true;
    let ran = false;
    await app.guarded(() => (ran = true));
    expect(ran).toBe(true);
    expect(app.notice).toBeNull();
    expect(JSON.parse(saved['earshot.settings'])).toMatchObject({ modelId: 'whisper-tiny.en', offline: true });
  });
});
