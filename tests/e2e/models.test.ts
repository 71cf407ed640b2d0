/**
 * Choosing and finding models, as a new user meets them: "Auto" precision takes what the model
 * ships (and never int8 on WebGPU, where it gives wrong words), and a self-hosted model source is
 * checked as soon as it is set — a relative base works, a wrong one is explained next to the
 * field before anything downloads, in the UI's language.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wer } from '../fixtures/wer';
import { openSettings, transcribe } from './app';
import { haveChromium, launch, watchConsole } from './browser';
import { MEMORIZED_MODEL, ROOT, SHARED, TINY_EN_MODEL, speechClips } from './fixtures';
import { startServer, type TestServer } from './server';

const TINY = 'whisper-tiny.en';
const MEMORIZED = 'earshot-test-memorized';
const NO_Q4 = 'earshot-test-memorized-no-q4';

/** The toy model as a repo without a 4-bit decoder would ship it: every file but `decoder_model_merged_q4.onnx`. */
function withoutQ4Decoder(): string {
  const dir = join(tmpdir(), `earshot-${NO_Q4}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  for (const f of readdirSync(MEMORIZED_MODEL)) if (f !== 'onnx') symlinkSync(join(MEMORIZED_MODEL, f), join(dir, f));
  for (const f of readdirSync(join(MEMORIZED_MODEL, 'onnx'))) if (f !== 'decoder_model_merged_q4.onnx') symlinkSync(join(MEMORIZED_MODEL, 'onnx', f), join(dir, 'onnx', f));
  return dir;
}
const present = existsSync(join(TINY_EN_MODEL, 'config.json')) && existsSync(join(MEMORIZED_MODEL, 'config.json'));
if (!present) console.warn(`model-choice tests skipped: ${TINY_EN_MODEL} or ${MEMORIZED_MODEL} not found (../shared is beside the repo in CI)`);

async function loadAuto(page: Page) {
  await page.selectOption('[data-testid=device-select]', 'auto');
  await page.selectOption('[data-testid=dtype-select]', 'auto');
  await page.click('[data-testid=load-model]');
  await page.waitForFunction(() => /Ready|就绪/.test(document.querySelector('[data-testid=status]')?.textContent ?? '') || document.querySelector('[data-testid=error]'), null, { timeout: 300_000 });
}

describe.skipIf(!present || !haveChromium())('Auto precision takes what the model ships (WebGPU adapter present)', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  let webgpu = false;

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { [TINY]: TINY_EN_MODEL, [MEMORIZED]: MEMORIZED_MODEL, [NO_Q4]: withoutQ4Decoder() });
    browser = await launch({ webgpu: true });
    page = await browser.newPage();
    logs = watchConsole(page);
    await page.goto(`${server.url}/?models=models/&model=${TINY}`);
    await openSettings(page);
    webgpu = await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a model with only an 8-bit decoder runs on WASM, says why, and transcribes right', async (ctx) => {
    if (!webgpu) ctx.skip();
    await loadAuto(page);
    const status = (await page.textContent('[data-testid=status]')) ?? '';
    expect(status, logs.join('\n')).toMatch(/WASM.*q8\/q8/);
    expect(await page.getAttribute('[data-testid=dtype-note]', 'data-reason')).toBe('webgpu-unsuitable');
    expect(await page.textContent('[data-testid=dtype-note]')).toMatch(/WebGPU/);
    const jfk = speechClips('en').find((c) => c.file.endsWith('jfk.wav'))!;
    const r = await transcribe(page, jfk.file);
    expect(wer([{ reference: jfk.reference, hypothesis: r.segments.map((s) => s.text).join(' ') }])).toBeLessThan(0.1);
  });

  it('a model with a 4-bit decoder runs on WebGPU as Auto plans it: full-precision encoder, q4 decoder', async (ctx) => {
    if (!webgpu) ctx.skip();
    await page.goto(`${server.url}/?models=models/&model=${MEMORIZED}`);
    await openSettings(page);
    await loadAuto(page);
    // SwiftShader has no shader-f16, so the encoder is fp32 (fp16 where the GPU has it).
    expect(await page.textContent('[data-testid=status]'), logs.join('\n')).toMatch(/WebGPU.*fp32\/q4/);
    expect(await page.$('[data-testid=dtype-note]'), 'no note: this is the plan, not a fallback').toBeNull();
  });

  it('a model without the 4-bit decoder runs on WebGPU with the best it has (fp32), and says so', async (ctx) => {
    if (!webgpu) ctx.skip();
    await page.goto(`${server.url}/?models=models/&model=${NO_Q4}`);
    await openSettings(page);
    await loadAuto(page);
    expect(await page.textContent('[data-testid=status]'), logs.join('\n')).toMatch(/WebGPU.*fp32\/fp32/);
    expect(await page.getAttribute('[data-testid=dtype-note]', 'data-reason')).toBe('model-files');
  });
});

describe.skipIf(!present || !haveChromium())('self-hosted model sources', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let logs: string[];
  const problem = async () => {
    await page.waitForSelector('[data-testid=source-problem]', { timeout: 10_000 });
    return (await page.textContent('[data-testid=source-problem]')) ?? '';
  };

  beforeAll(async () => {
    server = await startServer(join(ROOT, 'dist'), { [TINY]: TINY_EN_MODEL });
    // A static host that answers every unknown path with the app's page (an SPA fallback).
    server.override('/site/whisper-tiny.en/config.json', '<!doctype html><html><body>Earshot</body></html>');
    browser = await launch();
    page = await browser.newPage();
    logs = watchConsole(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('a base relative to the page (`models/`) loads the model', async () => {
    await page.goto(`${server.url}/?models=models/&model=${TINY}`);
    await openSettings(page);
    await page.waitForTimeout(1000); // the source check runs 0.4 s after the source is set
    expect(await page.$('[data-testid=source-problem]')).toBeNull();
    await page.selectOption('[data-testid=device-select]', 'wasm');
    await page.click('[data-testid=load-model]');
    await page.waitForFunction(() => /Ready/.test(document.querySelector('[data-testid=status]')?.textContent ?? '') || document.querySelector('[data-testid=error]'), null, { timeout: 120_000 });
    expect(await page.textContent('[data-testid=status]'), logs.join('\n')).toMatch(/Ready: whisper-tiny\.en/);
  });

  it('a source without the model, set after the model loaded from another: the status says the model did not load, the error says where', async () => {
    await page.fill('[data-testid=source-url]', 'elsewhere/');
    expect(await problem()).toMatch(/No model “whisper-tiny\.en”/);
    // The copy cached from `models/` (this site's own /models/) is not taken for another source's files.
    const r = await transcribe(page, join(SHARED, 'audio/en/jfk.wav'));
    expect(r.state).toBe('error');
    expect(await page.textContent('[data-testid=status]')).toMatch(/The model did not load, so nothing was transcribed/);
    expect(await page.textContent('[data-testid=error]')).toMatch(/No model “whisper-tiny\.en” at this model source/);
    expect(await page.locator('[role=alert]', { hasText: /not enough storage/ }).count()).toBe(0);
  });

  it('says at once, by the field, when the address answers with a web page instead of a model', async () => {
    await page.goto(`${server.url}/?models=site/&model=${TINY}`);
    await openSettings(page);
    expect(await problem()).toMatch(/did not return a model’s config\.json .*\/site\/whisper-tiny\.en\/config\.json/);
  });

  it('says at once when the link points outside the sources this copy may contact, and when the model is not there', async () => {
    await page.goto(`${server.url}/?models=${encodeURIComponent('https://models.example.org/whisper')}&model=${TINY}`);
    await openSettings(page);
    expect(await problem()).toMatch(/will not connect to models\.example\.org/);
    await page.goto(`${server.url}/?models=models/&model=no-such-model`);
    await openSettings(page);
    expect(await problem()).toMatch(/No model “no-such-model”/);
  });

  it('words a worker error in the UI language', async () => {
    await page.goto(`${server.url}/?models=models/&model=no-such-model`);
    await openSettings(page);
    await page.selectOption('[data-testid=ui-language]', 'zh');
    await page.click('[data-testid=load-model]');
    await page.waitForSelector('[data-testid=error]');
    expect(await page.textContent('[data-testid=error]')).toMatch(/此模型来源中没有“no-such-model”/);
    await page.selectOption('[data-testid=ui-language]', 'en');
  });
});
