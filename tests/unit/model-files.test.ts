/** What the precision menu offers: the precisions a model ships, asked of a self-hosted source before any download. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { candidateFiles, shippedDtypes } from '../../src/services/model-files';

describe('precisions a model ships', () => {
  let server: Server;
  let url = '';
  const methods = new Set<string>();
  // A hub-style export: fp32/fp16/q4f16 encoders, q8/q4/bnb4 decoders, weights of one in external data.
  const files = new Set(['onnx/encoder_model.onnx', 'onnx/encoder_model_fp16.onnx', 'onnx/encoder_model_q4f16.onnx', 'onnx/decoder_model_merged_quantized.onnx', 'onnx/decoder_model_merged_q4.onnx', 'onnx/decoder_model_merged_bnb4.onnx', 'onnx/decoder_model_merged.onnx_data']);
  beforeAll(async () => {
    server = createServer((req, res) => {
      methods.add(req.method ?? '');
      const path = (req.url ?? '').replace(/^\/models\/whisper-x\//, '');
      res.writeHead(files.has(path) ? 200 : 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('asks a self-hosted source with HEAD requests and lists each part’s precisions', async () => {
    const shipped = await shippedDtypes({ kind: 'custom', baseUrl: `${url}/models` }, 'whisper-x', { offline: false, page: `${url}/` });
    expect(shipped).toEqual({ encoder: ['fp32', 'fp16', 'q4f16'], decoder: ['q8', 'q4', 'bnb4'] });
    expect([...methods]).toEqual(['HEAD']);
    expect(candidateFiles()).toHaveLength(16);
  });

  it('reads a folder from the disk by its file names, and says nothing offline or for a model with no files', async () => {
    const folder = Object.fromEntries([...files].map((f) => [f, new File([], f)]));
    expect(await shippedDtypes({ kind: 'folder', name: 'mine', files: folder }, 'mine', { offline: true })).toEqual({ encoder: ['fp32', 'fp16', 'q4f16'], decoder: ['q8', 'q4', 'bnb4'] });
    expect(await shippedDtypes({ kind: 'custom', baseUrl: `${url}/models` }, 'other', { offline: true, page: `${url}/` })).toBeNull();
    expect(await shippedDtypes({ kind: 'custom', baseUrl: `${url}/models` }, 'missing', { offline: false, page: `${url}/` })).toBeNull();
  });
});
