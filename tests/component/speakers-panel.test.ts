/**
 * The speakers panel in real Chromium: a search that fails says why beside its own button —
 * in view and focused — not at the top of the page, ~1,100 px above where the user looks.
 */
import { describe, expect, it } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { userEvent } from 'vitest/browser';
import SpeakersPanel from '../../src/components/speakers/SpeakersPanel.svelte';
import { SpeakerJob } from '../../src/state/jobs/speakers.svelte';
import { TranscriptDocument } from '../../src/state/document.svelte';
import { Playback } from '../../src/state/playback.svelte';
import type { ModelSession } from '../../src/state/model.svelte';

describe('SpeakersPanel', () => {
  it('shows a failed search beside the button, scrolled into view and focused; dismiss and a new search clear it', async () => {
    const doc = new TranscriptDocument();
    doc.reset({ sourceName: 'meeting.wav', language: 'en', duration: 10 }, [{ start: 0, end: 2, text: ' Hello there.' }]);
    const job = new SpeakerJob({} as ModelSession, doc);
    const spacer = document.createElement('div');
    spacer.style.height = '3000px';
    document.body.prepend(spacer);
    render(SpeakersPanel, { document: doc, job, playback: new Playback(), disabled: false, onfind: () => job.fail({ key: 'errSpeakerModels', params: { url: 'https://example.org/models/diarization/' } }) });
    const panel = document.querySelector<HTMLElement>('[data-testid=speakers-panel]')!;
    panel.scrollIntoView();
    await userEvent.click(document.querySelector<HTMLElement>('[data-testid=diarize]')!);
    const alert = panel.querySelector<HTMLElement>('[role=alert]');
    expect(alert).not.toBeNull();
    expect(alert!.textContent).toContain('https://example.org/models/diarization/');
    expect(document.activeElement).toBe(alert);
    const box = alert!.getBoundingClientRect();
    expect(box.top).toBeGreaterThanOrEqual(0);
    expect(box.bottom).toBeLessThanOrEqual(window.innerHeight + 1);
    await userEvent.click(alert!.querySelector('button')!);
    expect(panel.querySelector('[role=alert]')).toBeNull();
    job.fail({ key: 'errSpeakersNoAudio' });
    await new Promise((r) => setTimeout(r, 0));
    expect(panel.querySelector('[role=alert]')).not.toBeNull();
    job.reset();
    await new Promise((r) => setTimeout(r, 0));
    expect(panel.querySelector('[role=alert]')).toBeNull();
    spacer.remove();
  });

  it('says how sure the count is, and that perhaps no one speaks where only loud sound was heard', async () => {
    const doc = new TranscriptDocument();
    doc.reset({ sourceName: 'meeting.wav', language: 'en', duration: 30 }, [
      { start: 0, end: 2, text: ' Hello there.' },
      { start: 3, end: 5, text: ' Yes.' },
    ]);
    let reply = { turns: [{ start: 0, end: 5, speaker: 0 }], speakers: 1, likely: { min: 0, max: 1 }, cancelled: false, seconds: 0.4 };
    const model = { client: { diarize: async () => reply } } as unknown as ModelSession;
    const job = new SpeakerJob(model, doc);
    render(SpeakersPanel, { document: doc, job, playback: new Playback(), disabled: false, onfind: () => {} });
    const certainty = () => document.querySelector<HTMLElement>('[data-testid=speakers-certainty]');
    await job.run((use) => use('audio'), ['models/diarization/']);
    await expect.poll(() => certainty()?.textContent).toContain('Perhaps no one speaks here');
    expect(certainty()!.dataset.min).toBe('0');
    reply = { turns: [{ start: 0, end: 2, speaker: 0 }, { start: 3, end: 5, speaker: 1 }], speakers: 2, likely: { min: 2, max: 3 }, cancelled: false, seconds: 0.4 };
    await job.run((use) => use('audio'), ['models/diarization/']);
    await expect.poll(() => certainty()?.textContent).toContain('2 to 3 people may be speaking');
  });
});
