import { describe, expect, it } from 'vitest';
import { loadError, outOfMemory } from '../../workers/asr/models/load-errors';
import { uiErrorFor } from '../../src/state/errors';
import { en, zh } from '../../src/i18n/messages';

const BASE = 'https://huggingface.co/onnx-community/whisper-base/resolve/main/';
const words = (text: string, params: Record<string, string | number> = {}) => text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));

describe('a model that fails to load says what to do', () => {
  it('names the precision and the missing operator when ONNX Runtime has no kernel for it', () => {
    // ONNX Runtime's own words for the hub's `_int8` encoder (signed int8 weights in ConvInteger).
    const ort = new Error("Can't create a session. ERROR_CODE: 9, ERROR_MESSAGE: Could not find an implementation for ConvInteger(10) node with name '/conv1/Conv_quant'");
    const err = loadError(ort, 'onnx-community/whisper-base', BASE, 'wasm', { encoder: 'int8', decoder: 'int8' });
    expect(err.name).toBe('DtypeNoKernel');
    const ui = uiErrorFor(err, 'onnx-community/whisper-base');
    expect(ui.key).toBe('errDtypeNoKernel');
    expect(ui.params).toMatchObject({ dtype: 'int8', op: 'ConvInteger' });
    expect(words(en.errDtypeNoKernel, ui.params)).toBe('onnx-community/whisper-base in int8 uses an operation (ConvInteger) that ONNX Runtime cannot run on this device. Choose Auto or another precision.');
    expect(words(zh.errDtypeNoKernel, ui.params)).toContain('int8');
    // Mixed precisions are named per part.
    const mixed = uiErrorFor(loadError(ort, 'm', BASE, 'webgpu', { encoder: 'int8', decoder: 'q4' }), 'm');
    expect(mixed.params).toMatchObject({ dtype: 'int8/q4', op: 'ConvInteger' });
  });

  it('tells a web page from a model source, a missing precision from a missing model, and offline from broken', () => {
    expect(uiErrorFor(loadError(new SyntaxError('Unexpected token < in JSON at position 0'), 'm', BASE, 'wasm', { encoder: 'q8', decoder: 'q8' }), 'm')).toEqual({ key: 'errNotAModelSource', params: { model: 'm', url: `${BASE}config.json` } });
    expect(loadError(new Error('Could not locate file: "https://x/m/resolve/main/onnx/encoder_model_q4.onnx".'), 'm', BASE, 'wasm', { encoder: 'q4', decoder: 'q4' }).name).toBe('NoOnnxWeights');
    expect(loadError(new Error('Could not locate file: "https://x/m/resolve/main/config.json".'), 'm', BASE, 'wasm', { encoder: 'q8', decoder: 'q8' }).name).toBe('ModelNotFound');
    expect(loadError(new TypeError('Failed to fetch'), 'm', BASE, 'wasm', { encoder: 'q8', decoder: 'q8' }).name).toBe('NetworkError');
    expect(loadError(new Error('RangeError: Array buffer allocation failed'), 'm', BASE, 'wasm', { encoder: 'q8', decoder: 'q8' }).name).toBe('OutOfMemory');
    expect(loadError(new Error('something else'), 'm', BASE, 'wasm', { encoder: 'q8', decoder: 'q8' }).name).toBe('Unknown');
  });

  it('names an allocation failure during a job, and nothing else', () => {
    expect(outOfMemory(new Error('Aborted(). Build with -sASSERTIONS for more info. bad_alloc'))?.name).toBe('OutOfMemory');
    expect(outOfMemory(new Error('invalid input shape'))).toBeNull();
  });
});
