"""onebit.generate over KV-cache decoders from scripts/make_decoder.py: the
greedy tokens are onnxruntime's (examples/generate.py --check runs the same
loop over onnxruntime), sampling is reproducible from its seed, stop tokens
end rows, and models without a cache are refused."""
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import onebit
from onebit.generate import generate

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import make_decoder  # noqa: E402


@pytest.fixture(scope="module")
def decoders(tmp_path_factory):
    """{preset: (model.onnx, its onebit build)}: BitNet-shaped exactly
    ternary (--quantize=auto packs it without loss) and LLaMA-shaped float."""
    folder = tmp_path_factory.mktemp("decoders")
    built = {}
    for preset, quantize in (("tiny-bitnet", "auto"), ("tiny-llama", "none")):
        model = make_decoder.write(make_decoder.PRESETS[preset],
                                   folder / preset / "model.onnx")
        library = folder / preset / "model.so"
        onebit.compile(model, library, quantize=quantize)
        built[preset] = (model, onebit.InferenceSession(str(library)))
    return built


@pytest.mark.parametrize("preset", ["tiny-bitnet", "tiny-llama"])
def test_greedy_tokens_are_onnxruntimes(decoders, preset):
    model, _ = decoders[preset]
    quantize = "auto" if preset == "tiny-bitnet" else "none"
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "generate.py"), str(model),
         "--quantize", quantize, "--prompt-length", "7", "--new-tokens", "24",
         "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "onnxruntime greedy tokens: the same" in done.stdout
    assert "generated (24 tokens)" in done.stdout


@pytest.mark.parametrize("preset", ["tiny-bitnet", "tiny-llama"])
def test_cache_steps_match_onnxruntime(decoders, preset):
    # A prefill of 5 tokens, then 3 steps of one token fed the presents
    # back: every output of every call within float rounding of
    # onnxruntime's on the same feeds.
    import onnxruntime as ort
    model, session = decoders[preset]
    reference = ort.InferenceSession(str(model),
                                     providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    ids = np.random.default_rng(1).integers(0, 256, (2, 8), dtype=np.int64)
    feeds = {i.name: np.zeros((2, i.shape[1], 0, i.shape[3]), np.float32)
             for i in session.get_inputs() if i.name != "input_ids"}
    for start, end in ((0, 5), (5, 6), (6, 7), (7, 8)):
        step = {"input_ids": ids[:, start:end], **feeds}
        got = dict(zip(names, session.run(None, step)))
        want = dict(zip(names, reference.run(names, step)))
        for name in names:
            assert got[name].shape == want[name].shape, name
            np.testing.assert_allclose(got[name], want[name], rtol=1e-4,
                                       atol=1e-4, err_msg=f"{name} {start}")
        feeds = {n.replace("present.", "past_key_values."): got[n]
                 for n in names if n.startswith("present.")}
    assert feeds["past_key_values.0.key"].shape[2] == 8


def test_cache_steps_give_the_full_sequences_logits(decoders):
    # The last step's logits, computed from the cache, against one call on
    # the whole sequence with an empty cache.
    _, session = decoders["tiny-bitnet"]
    prompt = np.array([[3, 141, 59, 26], [5, 35, 89, 79]], np.int64)
    result = generate(session, prompt, 6)
    assert result.tokens.shape == (2, 10) and result.new_tokens == [6, 6]
    assert result.decode_steps == 5
    assert result.prefill_seconds > 0 and result.decode_seconds > 0
    names = [o.name for o in session.get_outputs()]
    empty = {i.name: np.zeros((2, i.shape[1], 0, i.shape[3]), np.float32)
             for i in session.get_inputs() if i.name != "input_ids"}
    full = dict(zip(names, session.run(None, {"input_ids": result.tokens,
                                              **empty})))
    greedy = full["logits"][:, 3:-1].argmax(-1)
    np.testing.assert_array_equal(greedy, result.tokens[:, 4:])


def test_last_position_only_logits(decoders, tmp_path):
    """--last-position-only=logits: the logits of each call come at its last
    position only ([B, 1, V]), equal within float rounding to that row of
    the full build's, the presents unchanged, and the greedy tokens the
    same; an empty step is refused by the run."""
    model, full = decoders["tiny-bitnet"]
    library = tmp_path / "last.so"
    onebit.compile(model, library, quantize="auto",
                   last_position_only=["logits"])
    last = onebit.InferenceSession(str(library))
    logits = next(o for o in last.get_outputs() if o.name == "logits")
    assert logits.shape[1] == 1
    ids = np.random.default_rng(2).integers(0, 256, (2, 9), dtype=np.int64)
    empty = {i.name: np.zeros((2, i.shape[1], 0, i.shape[3]), np.float32)
             for i in last.get_inputs() if i.name != "input_ids"}
    names = [o.name for o in last.get_outputs()]
    got = dict(zip(names, last.run(None, {"input_ids": ids, **empty})))
    want = dict(zip(names, full.run(None, {"input_ids": ids, **empty})))
    assert got["logits"].shape == (2, 1, want["logits"].shape[2])
    np.testing.assert_allclose(got["logits"], want["logits"][:, -1:],
                               rtol=1e-5, atol=1e-5)
    for name in names[1:]:
        np.testing.assert_array_equal(got[name], want[name])
    np.testing.assert_array_equal(generate(last, ids, 12).tokens,
                                  generate(full, ids, 12).tokens)
    with pytest.raises(onebit.OnebitError, match="Reshape node"):
        last.run(None, {"input_ids": ids[:, :0], **empty})
    np.testing.assert_allclose(
        last.run(None, {"input_ids": ids, **empty})[0], got["logits"])


def test_last_position_only_names_must_be_layer_outputs(decoders, tmp_path):
    model, _ = decoders["tiny-bitnet"]
    for names, message in ((["nope"], "no output named 'nope'"),
                           (["present.0.key"],
                            "'present.0.key' is not the result of a linear "
                            "layer")):
        with pytest.raises(onebit.CompileError, match=message):
            onebit.compile(model, tmp_path / "bad.so",
                           last_position_only=names)
        assert not (tmp_path / "bad.so").exists()


def test_sampling_is_seeded(decoders):
    _, session = decoders["tiny-llama"]
    prompt = np.array([[1, 2, 3]], np.int64)
    sample = lambda seed, **kw: generate(  # noqa: E731
        session, prompt, 16, do_sample=True, seed=seed, **kw).tokens
    np.testing.assert_array_equal(sample(7, top_k=50), sample(7, top_k=50))
    assert not np.array_equal(sample(7, temperature=5.0),
                              sample(8, temperature=5.0))
    # One candidate left: sampling is greedy decoding.
    greedy = generate(session, prompt, 16).tokens
    np.testing.assert_array_equal(sample(3, top_k=1), greedy)
    np.testing.assert_array_equal(sample(3, top_p=1e-9), greedy)


def test_stop_tokens_end_each_row(decoders):
    _, session = decoders["tiny-bitnet"]
    prompt = np.array([[10, 20, 30], [40, 50, 60]], np.int64)
    free = generate(session, prompt, 8).tokens
    stop = int(free[0, 3 + 2])  # row 0's third new token
    stopped = generate(session, prompt, 8, stop_tokens=[stop])
    row0 = list(free[0, 3:]).index(stop) + 1
    assert stopped.new_tokens[0] == row0
    # Row 0 is padded with its stop token once it has ended.
    assert (stopped.tokens[0, 3 + row0:] == stop).all()
    if stop not in free[1, 3:]:
        assert stopped.new_tokens[1] == 8


def test_models_without_a_cache_are_refused(session):
    with pytest.raises(onebit.InvalidArgument, match="input_ids"):
        generate(session, np.zeros((1, 3), np.int64), 4)


def test_bad_prompts_are_refused(decoders):
    _, session = decoders["tiny-bitnet"]
    with pytest.raises(onebit.InvalidArgument, match="int64"):
        generate(session, np.zeros((1, 3), np.int32), 4)
    with pytest.raises(onebit.InvalidArgument, match="non-empty"):
        generate(session, np.zeros((1, 0), np.int64), 4)
    with pytest.raises(onebit.InvalidArgument, match="temperature"):
        generate(session, np.zeros((1, 2), np.int64), 4, do_sample=True,
                 temperature=0)
