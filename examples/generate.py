#!/usr/bin/env python3
"""Generates tokens with a compiled KV-cache decoder and prints prefill and
decode tokens/s; with --check, also onnxruntime's greedy tokens on the same
ONNX export, which must be the same.

    python3 scripts/make_decoder.py --preset tiny-bitnet -o build/decoder/model.onnx
    python3 examples/generate.py build/decoder/model.onnx --quantize auto --check

Token ids are printed as numbers: the generated models have random weights
and no tokenizer. The prompt is --prompt-length ids from a fixed seed (or
--prompt "1 2 3").
"""
import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "python"))
import onebit  # noqa: E402
from onebit.generate import generate  # noqa: E402


def onnxruntime_greedy(model, prompt, new_tokens):
    """The same loop over onnxruntime: greedy, cache fed back each step."""
    import onnxruntime as ort
    session = ort.InferenceSession(str(model),
                                   providers=["CPUExecutionProvider"])
    pasts = {i.name: i for i in session.get_inputs()
             if i.name.startswith("past_key_values.")}
    names = [o.name for o in session.get_outputs()]
    feeds = {n: np.zeros((prompt.shape[0], i.shape[1], 0, i.shape[3]),
                         np.float32) for n, i in pasts.items()}
    ids, tokens = prompt, [prompt]
    for _ in range(new_tokens):
        outputs = dict(zip(names, session.run(None, {"input_ids": ids,
                                                     **feeds})))
        feeds = {n: outputs["present." + n[len("past_key_values."):]]
                 for n in pasts}
        ids = outputs["logits"][:, -1].argmax(-1).reshape(-1, 1)
        tokens.append(ids)
    return np.concatenate(tokens, axis=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=pathlib.Path,
                        help="an ONNX KV-cache decoder, or a compiled .so")
    parser.add_argument("--quantize", default="auto",
                        help="for an ONNX model: onebit-compile --quantize")
    parser.add_argument("--prompt", help="space-separated token ids")
    parser.add_argument("--prompt-length", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--sample", action="store_true",
                        help="top-k/top-p sampling instead of greedy")
    parser.add_argument("--top-k", type=int, default=40)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--check", action="store_true",
                        help="compare the greedy tokens with onnxruntime's")
    args = parser.parse_args()

    library = args.model
    if args.model.suffix == ".onnx":
        library = args.model.with_name(
            f"{args.model.stem}-{args.quantize}.so")
        start = time.perf_counter()
        # Generation reads the last position's logits only.
        onebit.compile(args.model, library, quantize=args.quantize,
                       last_position_only=["logits"])
        print(f"compiled {library} ({time.perf_counter() - start:.1f} s)")
    session = onebit.InferenceSession(str(library))
    vocab = next(o for o in session.get_outputs() if o.name == "logits").shape[-1]
    if args.prompt:
        prompt = np.array([[int(t) for t in args.prompt.split()]], np.int64)
    else:
        prompt = np.random.default_rng(args.seed).integers(
            0, vocab, (1, args.prompt_length), dtype=np.int64)

    result = generate(session, prompt, args.new_tokens,
                      do_sample=args.sample, top_k=args.top_k,
                      top_p=args.top_p, temperature=args.temperature,
                      seed=args.seed)
    new = result.tokens[0, prompt.shape[1]:]
    print(f"prompt ({prompt.shape[1]} tokens): {prompt[0].tolist()}")
    print(f"generated ({len(new)} tokens): {new.tolist()}")
    print(f"prefill: {result.prefill_tokens_per_second:,.1f} tokens/s "
          f"({result.prefill_seconds * 1e3:.2f} ms); decode: "
          f"{result.decode_tokens_per_second:,.1f} tokens/s "
          f"({result.decode_steps} steps, "
          f"{result.decode_seconds / max(result.decode_steps, 1) * 1e3:.2f} "
          f"ms each)")
    if args.check:
        if args.sample or args.model.suffix != ".onnx":
            sys.exit("error: --check needs greedy decoding of an ONNX model")
        expected = onnxruntime_greedy(args.model, prompt, args.new_tokens)
        same = np.array_equal(result.tokens, expected)
        print(f"onnxruntime greedy tokens: "
              f"{'the same' if same else expected[0, prompt.shape[1]:].tolist()}")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
