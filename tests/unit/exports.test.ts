/**
 * The exports people take elsewhere (spreadsheets, Word) and the Chinese script control, on the
 * app's own modules with the real libraries (opencc-js, docx) and an independent reader for
 * each output (mammoth for DOCX, our RFC 4180 reader for CSV).
 */
import { unzipSync, strFromU8 } from 'fflate';
import mammoth from 'mammoth';
import { describe, expect, it } from 'vitest';
import { exportFileName, formatsFor, renderExport } from '../../src/domain/transcript/exports';
import { exportName, parseCsv, toCsv, toTsv } from '../../src/domain/transcript/formats';
import { convertSegment, convertTranscript, defaultScript } from '../../src/domain/transcript/script';
import type { Segment, Transcript } from '../../src/domain/transcript/types';
import { loadConverter } from '../../src/services/chinese-script';

const segments: Segment[] = [
  { start: 0, end: 2.5, text: ' Hello, "world"', speaker: 'S1' },
  { start: 2.5, end: 5.25, text: ' =HYPERLINK("http://evil.example","click")', speaker: 'S2' },
  { start: 5.25, end: 7, text: ' -2+3 and a line\nbreak, with\ttab', speaker: 'S1' },
  { start: 7, end: 9.5, text: ' @SUM(A1) 中文也行' },
];

const transcript = (over: Partial<Transcript> = {}): Transcript => ({
  segments,
  language: 'en',
  model: 'whisper-tiny.en',
  task: 'transcribe',
  duration: 10,
  completedUntil: 10,
  sourceName: 'interview.final.m4a',
  speakers: { S1: 'Dr. Lee' },
  ...over,
});

describe('CSV and TSV', () => {
  it('round-trips start, end, speaker and text through an RFC 4180 reader', () => {
    const csv = toCsv(segments, (id) => (id === 'S1' ? 'Dr. Lee' : 'Speaker 2'));
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(4);
    rows.forEach((r, i) => {
      expect(Number(r.start)).toBeCloseTo(segments[i].start, 3);
      expect(Number(r.end)).toBeCloseTo(segments[i].end, 3);
      expect(r.text).toBe(segments[i].text.trim());
    });
    expect(rows.map((r) => r.speaker)).toEqual(['Dr. Lee', 'Speaker 2', 'Dr. Lee', '']);
  });

  it('neutralises formula injection: no cell a spreadsheet would run starts with = + - @', () => {
    const csv = toCsv(segments);
    // Split the raw file the way a naive importer would: every cell, quotes removed.
    const cells = csv.replace(/^\ufeff/, '').split(/\r\n/).flatMap((line) => line.split(',')).map((c) => c.replace(/^"/, ''));
    expect(cells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    const tsv = toTsv(segments);
    const tsvCells = tsv.split('\n').flatMap((l) => l.split('\t'));
    expect(tsvCells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
    expect(tsv.trim().split('\n')).toHaveLength(5); // header + 4: the line break inside text did not add a row
    expect(tsv.split('\n')[3].split('\t')).toHaveLength(4);
  });
});

describe('DOCX', () => {
  it('opens in an independent reader with the title, every timestamp, speaker and text', async () => {
    const out = await renderExport(transcript(), 'docx');
    expect(out.name).toBe('interview.final.en.docx');
    const bytes = out.data as Uint8Array;
    const files = unzipSync(bytes);
    expect(Object.keys(files)).toContain('word/document.xml');
    const { value } = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    expect(value).toContain('interview.final.m4a');
    for (const [clock, who, words] of [
      ['0:00 – 0:02', 'Dr. Lee', 'Hello, "world"'],
      ['0:02 – 0:05', 'Speaker 2', '=HYPERLINK'],
      ['0:07 – 0:09', '', '中文也行'],
    ]) {
      expect(value).toContain(clock);
      if (who) expect(value).toContain(who);
      expect(value).toContain(words);
    }
    expect(strFromU8(files['word/document.xml'])).toContain('<w:tbl>');
  });
});

describe('export names', () => {
  it('are <file>.<language>.<ext> for every format', async () => {
    expect(exportName('interview.final.m4a', 'en', 'srt')).toBe('interview.final.en.srt');
    expect(exportName('.hidden', null, 'txt')).toBe('.hidden.und.txt');
    const t = transcript();
    const names = await Promise.all(formatsFor(t).map(async (f) => (await renderExport(t, f)).name));
    expect(names).toEqual(['txt', 'md', 'srt', 'vtt', 'docx', 'csv', 'tsv', 'json', 'rttm'].map((ext) => `interview.final.en.${ext}`));
    expect(formatsFor(transcript({ segments: segments.map(({ speaker: _, ...s }) => s) }))).not.toContain('rttm');
    expect(exportFileName(transcript({ task: 'translate', language: 'zh' }), 'txt')).toBe('interview.final.en.txt');
    expect(exportFileName(transcript({ language: 'zh', script: 'zh-Hant-TW' }), 'srt')).toBe('interview.final.zh-Hant-TW.srt');
    expect(exportFileName(transcript({ language: 'en', script: 'zh-Hans' }), 'srt')).toBe('interview.final.en.srt');
  });
});

describe('Chinese script (OpenCC)', () => {
  it('converts phrases, not characters: 软件 → 軟體 and 鼠标 → 滑鼠 for Taiwan, 軟件 for Hong Kong', async () => {
    const tw = (await loadConverter('zh-Hant-TW'))!;
    const hk = (await loadConverter('zh-Hant-HK'))!;
    const hans = (await loadConverter('zh-Hans'))!;
    expect(tw('这个软件用鼠标')).toBe('這個軟體用滑鼠');
    expect(hk('这个软件用鼠标')).toBe('這個軟件用鼠標');
    // Whisper's mix of scripts comes out in one.
    expect(hans('我認為跑步是一种很好的運動')).toBe('我认为跑步是一种很好的运动');
    expect(tw('我认为跑步是一種很好的运动')).toBe('我認為跑步是一種很好的運動');
    expect(await loadConverter('original')).toBeNull();
  });

  it('keeps each word on its time, also where a phrase changes length', async () => {
    const tw = (await loadConverter('zh-Hant-TW'))!;
    const chars = (text: string, t0: number) => [...text].map((c, i) => ({ word: c, start: t0 + i * 0.2, end: t0 + i * 0.2 + 0.2, probability: 0.9 }));
    const seg: Segment = { start: 0, end: 1.2, text: '用鼠标和软件', words: chars('用鼠标和软件', 0) };
    const out = convertSegment(seg, tw);
    expect(out.text).toBe('用滑鼠和軟體');
    expect(out.words!.map((w) => w.word).join('')).toBe('用滑鼠和軟體');
    expect(out.words!.map((w) => w.start)).toEqual(seg.words!.map((w) => w.start));
    const longer: Segment = { start: 0, end: 0.6, text: 'U盘', words: [{ word: 'U', start: 0, end: 0.3, probability: 1 }, { word: '盘', start: 0.3, end: 0.6, probability: 1 }] };
    const l = convertSegment(longer, tw);
    expect(l.text).toBe('隨身碟');
    expect(l.words!.map((w) => [w.start, w.end])).toEqual([[0, 0.3], [0.3, 0.6]]);
    // English is left as it is, as the same object.
    const en: Segment = { start: 0, end: 1, text: ' Hello', words: [{ word: ' Hello', start: 0, end: 1, probability: 1 }] };
    expect(convertSegment(en, tw)).toBe(en);
    const t = convertTranscript({ ...transcript(), segments: [seg, en] }, tw);
    expect(t.segments[1]).toBe(en);
  });

  it('defaults from the UI language (and the region the browser names)', () => {
    expect(defaultScript('en', ['zh-TW'])).toBe('original');
    expect(defaultScript('zh', ['zh-CN', 'en'])).toBe('zh-Hans');
    expect(defaultScript('zh-CN', ['en-US', 'zh-TW'])).toBe('zh-Hant-TW');
    expect(defaultScript('zh', ['zh-HK'])).toBe('zh-Hant-HK');
    expect(defaultScript('zh', [])).toBe('zh-Hans');
  });
});
