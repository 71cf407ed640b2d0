/**
 * Where *Find speakers* gets its models: a self-hosted source's own `diarization/` first, then the
 * copy every build ships in `models/diarization/`. Served by a local HTTP server, as a deploy is.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speakerModelBases } from '../../src/services/model-source';
import { loadSpeakerModels, PREVIOUS_SEGMENTATION, SPEAKER_MODEL_FILES } from '../../workers/asr/diarization/speaker-models';

describe('speaker model bases', () => {
  it('puts a self-hosted source’s copy before the site’s own, and the site’s alone otherwise', () => {
    const page = 'https://example.org/earshot/index.html';
    expect(speakerModelBases('hf', '', page)).toEqual(['https://example.org/earshot/models/diarization/']);
    expect(speakerModelBases('custom', 'https://models.example.net/whisper', page)).toEqual(['https://models.example.net/whisper/diarization/', 'https://example.org/earshot/models/diarization/']);
    // A source that is the site's own models/ folder: one place, not the same one twice.
    expect(speakerModelBases('custom', 'models', page)).toEqual(['https://example.org/earshot/models/diarization/']);
  });
});

describe('loading the speaker models', () => {
  let server: Server;
  let url = '';
  const requests: string[] = [];
  beforeAll(async () => {
    // /mirror/ has no diarization/ (404), /refusing/ answers 403 as object stores do, /site/ has both files; /page/ is an SPA fallback;
    // /old-mirror/ and /old-site/ have only what builds before the full-precision segmentation model shipped.
    server = createServer((req, res) => {
      const path = req.url ?? '';
      requests.push(path);
      const file = Object.values(SPEAKER_MODEL_FILES).find((f) => path === `/site/models/diarization/${f}`);
      const old = [PREVIOUS_SEGMENTATION, SPEAKER_MODEL_FILES.embedding].find((f) => path === `/old-mirror/diarization/${f}` || path === `/old-site/models/diarization/${f}`);
      if (file ?? old) res.end(Buffer.from(`\x08\x07onnx:${file ?? old}`));
      else if (path.startsWith('/refusing/')) res.writeHead(403).end();
      else if (path.startsWith('/page/')) res.end('<!doctype html><title>Earshot</title>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('falls back to the copy the site ships when the model source has none', async () => {
    const m = await loadSpeakerModels([`${url}/mirror/diarization/`, `${url}/refusing/diarization/`, `${url}/site/models/diarization/`]);
    expect(new TextDecoder().decode(m.segmentation)).toContain(SPEAKER_MODEL_FILES.segmentation);
    expect(new TextDecoder().decode(m.embedding)).toContain(SPEAKER_MODEL_FILES.embedding);
    expect(requests).toContain(`/mirror/diarization/${SPEAKER_MODEL_FILES.embedding}`);
  });

  it('takes the full-precision segmentation model from the site before a mirror’s older int8 one, and the int8 one where nothing else is there', async () => {
    const m = await loadSpeakerModels([`${url}/old-mirror/diarization/`, `${url}/site/models/diarization/`]);
    expect(new TextDecoder().decode(m.segmentation)).toContain(SPEAKER_MODEL_FILES.segmentation);
    expect(new TextDecoder().decode(m.segmentation)).not.toContain('int8');
    const old = await loadSpeakerModels([`${url}/mirror/diarization/`, `${url}/old-site/models/diarization/`]);
    expect(new TextDecoder().decode(old.segmentation)).toContain(PREVIOUS_SEGMENTATION);
    expect(new TextDecoder().decode(old.embedding)).toContain(SPEAKER_MODEL_FILES.embedding);
  });

  it('says the models are missing, and where, when no place has them (a web page is not a model)', async () => {
    await expect(loadSpeakerModels([`${url}/mirror/diarization/`, `${url}/page/`])).rejects.toMatchObject({ name: 'SpeakerModelsMissing' });
  });
});
