import { describe, expect, it } from 'vitest';
import { Settings } from '../../src/state/settings.svelte';
import { localeFor } from '../../src/i18n/i18n.svelte';
import { estimateDownloadBytes, CATALOG, catalogEntry, isValidModelId } from '../../src/domain/models/catalog';
import { sniffSampleRate } from '../../src/services/audio-decode';

class MemoryStorage {
  data = new Map<string, string>();
  getItem = (k: string) => this.data.get(k) ?? null;
  setItem = (k: string, v: string) => void this.data.set(k, v);
}

describe('settings from a link', () => {
  it('?models=<base>&model=<id> preselects a custom source and model', () => {
    const s = new Settings('?models=https%3A%2F%2Fmodels.example.org%2Fwhisper&model=org%2Fwhisper-zh', null);
    expect(s.source).toEqual({ kind: 'custom', baseUrl: 'https://models.example.org/whisper' });
    expect(s.modelId).toBe('org/whisper-zh');
  });

  it('ignores a model parameter that is not a model id', () => {
    const s = new Settings('?model=https://evil.example/x', null);
    expect(s.modelId).toBe('onnx-community/whisper-base_timestamped');
    expect(isValidModelId('../../etc')).toBe(false);
  });

  it('remembers choices, and a link wins over what was saved', () => {
    const storage = new MemoryStorage() as unknown as Storage;
    const a = new Settings('', storage);
    a.device = 'wasm';
    a.language = 'zh';
    a.save(storage);
    const b = new Settings('?model=onnx-community/whisper-tiny', storage);
    expect(b.device).toBe('wasm');
    expect(b.language).toBe('zh');
    expect(b.modelId).toBe('onnx-community/whisper-tiny');
  });
});

describe('UI language', () => {
  it('follows navigator.languages, Chinese variants to 简体中文', () => {
    expect(localeFor(['zh-TW', 'en'])).toBe('zh');
    expect(localeFor(['de-DE', 'en-GB'])).toBe('en');
    expect(localeFor(['fr'])).toBe('en');
  });
});

describe('model catalog', () => {
  it('estimates downloads that shrink with precision', () => {
    const base = CATALOG.find((m) => m.id === 'onnx-community/whisper-base_timestamped')!;
    const fp32 = estimateDownloadBytes(base, { encoder: 'fp32', decoder: 'fp32' });
    const q8 = estimateDownloadBytes(base, { encoder: 'q8', decoder: 'q8' });
    expect(fp32 / 1e6).toBeGreaterThan(250);
    expect(fp32 / 1e6).toBeLessThan(320);
    expect(q8).toBeLessThan(fp32 / 3);
  });

  it('names the word-timing (_timestamped) repos, and still knows a plain id saved before', () => {
    expect(catalogEntry('onnx-community/whisper-base_timestamped')?.label).toBe('Whisper base');
    // A user who saved the plain repo keeps it (its files are in their browser) and sees its name.
    expect(catalogEntry('onnx-community/whisper-base')?.id).toBe('onnx-community/whisper-base_timestamped');
    expect(new Settings('?model=onnx-community/whisper-base', null).modelId).toBe('onnx-community/whisper-base');
    expect(catalogEntry('someone/whisper-base')).toBeUndefined();
    for (const m of CATALOG) expect(isValidModelId(m.id), m.id).toBe(true);
  });
});

describe('sample-rate sniffing (decode without browser down-sampling)', () => {
  it('reads WAV and FLAC headers, and says nothing for others', () => {
    const wav = new Uint8Array(44);
    wav.set([...'RIFF'].map((c) => c.charCodeAt(0)), 0);
    wav.set([...'WAVEfmt '].map((c) => c.charCodeAt(0)), 8);
    new DataView(wav.buffer).setUint32(16, 16, true);
    new DataView(wav.buffer).setUint32(24, 44_100, true);
    expect(sniffSampleRate(wav)).toBe(44_100);
    const flac = new Uint8Array(42);
    flac.set([...'fLaC'].map((c) => c.charCodeAt(0)), 0);
    // 22 050 Hz = 0x05622 in the 20-bit field at byte 18.
    flac[18] = 0x05;
    flac[19] = 0x62;
    flac[20] = 0x20;
    expect(sniffSampleRate(flac)).toBe(22_050);
    expect(sniffSampleRate(new Uint8Array([0xff, 0xfb, 0x90, 0x00]))).toBeNull();
  });
});
