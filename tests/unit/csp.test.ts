import { describe, expect, it } from 'vitest';
import { connectAllowed, contentSecurityPolicy } from '../../src/domain/csp';

describe('content security policy', () => {
  const self = 'https://earshot.example';
  const policy = contentSecurityPolicy(['https://models.hospital.example']);

  it('lets the app reach its own origin, the hub, its download hosts, the mirror and listed sources', () => {
    for (const url of [
      'https://earshot.example/models/x/config.json',
      'https://huggingface.co/onnx-community/whisper-base/resolve/main/config.json',
      'https://cdn-lfs.huggingface.co/repos/aa/bb',
      'https://cas-bridge.xethub.hf.co/xet-bridge-us/abc',
      'https://hf-mirror.com/onnx-community/whisper-base/resolve/main/config.json',
      'https://models.hospital.example/whisper/config.json',
    ]) {
      expect(connectAllowed(policy, url, self), url).toBe(true);
    }
  });

  it('refuses everything else, including look-alike hosts and plain http', () => {
    for (const url of ['https://elsewhere.example/x', 'https://huggingface.co.evil.example/x', 'http://huggingface.co/x', 'https://evilhf.co/x', 'https://models.hospital.example:8443/x']) {
      expect(connectAllowed(policy, url, self), url).toBe(false);
    }
  });

  it('has no inline script, no eval beyond WebAssembly, no plugins', () => {
    expect(policy).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    expect(policy).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
    expect(policy).toMatch(/object-src 'none'/);
  });
});
