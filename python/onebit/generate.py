"""Text generation with a KV-cache decoder: one prefill call, then one call
per new token with the cache the previous call returned.

The model is any session whose inputs are `input_ids` [batch, seq] and, per
layer, `past_key_values.L.key` / `.value` [batch, kv_heads, past, head_dim],
and whose outputs are `logits` [batch, seq, vocab] and `present.L.key` /
`.value` (what torch.onnx gives a Hugging Face decoder, and what
scripts/make_decoder.py writes). The first call gets caches with past = 0.
"""

import dataclasses
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

from .errors import InvalidArgument
from .session import InferenceSession

_PAST = "past_key_values."
_PRESENT = "present."


@dataclasses.dataclass
class Generation:
    """What generate() returns."""
    #: [batch, prompt + new] token ids: the prompt, then what was generated
    #: (a finished row is padded with its stop token).
    tokens: np.ndarray
    #: how many tokens each row generated, its stop token included
    new_tokens: List[int]
    #: seconds of the prefill call (the whole prompt) and of all decode calls
    prefill_seconds: float
    decode_seconds: float
    decode_steps: int

    @property
    def prefill_tokens_per_second(self) -> float:
        prompt = self.tokens.shape[0] * (self.tokens.shape[1]
                                          - max(self.new_tokens, default=0))
        return prompt / self.prefill_seconds if self.prefill_seconds else 0.0

    @property
    def decode_tokens_per_second(self) -> float:
        made = self.tokens.shape[0] * self.decode_steps
        return made / self.decode_seconds if self.decode_seconds else 0.0


def _cache_names(session: InferenceSession) -> Dict[str, str]:
    """{present output: past input} for every cache tensor."""
    inputs = {a.name: a for a in session.get_inputs()}
    outputs = [a.name for a in session.get_outputs()]
    if "input_ids" not in inputs or "logits" not in outputs:
        raise InvalidArgument(
            "generate() needs a model with an 'input_ids' input and a "
            f"'logits' output; {session.model_path} has inputs "
            f"{sorted(inputs)} and outputs {outputs}")
    pairs = {}
    for name in outputs:
        if name.startswith(_PRESENT):
            past = _PAST + name[len(_PRESENT):]
            if past not in inputs:
                raise InvalidArgument(f"output '{name}' has no input '{past}'")
            pairs[name] = past
    missing = [n for n in inputs if n.startswith(_PAST)
               and n not in pairs.values()]
    if not pairs or missing:
        raise InvalidArgument(
            "generate() needs a KV-cache model (past_key_values.L.key/value "
            "in, present.L.key/value out)"
            + (f"; no output for {missing}" if missing else ""))
    extra = [n for n in inputs if n != "input_ids" and n not in pairs.values()]
    if extra:
        raise InvalidArgument(f"generate() cannot feed the inputs {extra}")
    return pairs


def _empty_caches(session: InferenceSession, pairs, batch: int):
    caches = {}
    for arg in session.get_inputs():
        if arg.name in pairs.values():
            shape = arg.shape
            if len(shape) != 4 or shape[1] is None or shape[3] is None:
                raise InvalidArgument(
                    f"cache input '{arg.name}' must be [batch, kv_heads, past, "
                    f"head_dim] with static heads and head_dim, not {shape}")
            # (NodeArg's dtype: this package's own.)
            caches[arg.name] = np.zeros((batch, shape[1], 0, shape[3]),
                                        arg._dtype.numpy)
    return caches


def _choose(logits: np.ndarray, rng, do_sample: bool, temperature: float,
            top_k: int, top_p: float) -> np.ndarray:
    """The next token of each row from its last position's logits."""
    if not do_sample:
        return np.argmax(logits, axis=-1)
    scaled = logits.astype(np.float64) / temperature
    chosen = np.empty(scaled.shape[0], np.int64)
    for row, values in enumerate(scaled):
        order = np.argsort(-values, kind="stable")
        if top_k > 0:
            order = order[:top_k]
        probs = np.exp(values[order] - values[order[0]])
        probs /= probs.sum()
        if top_p < 1.0:
            # The smallest prefix whose probability reaches top_p.
            keep = int(np.searchsorted(np.cumsum(probs), top_p) + 1)
            order, probs = order[:keep], probs[:keep] / probs[:keep].sum()
        chosen[row] = order[rng.choice(len(order), p=probs)]
    return chosen


def generate(session: InferenceSession, input_ids, max_new_tokens: int, *,
             do_sample: bool = False, temperature: float = 1.0,
             top_k: int = 0, top_p: float = 1.0, seed: Optional[int] = None,
             stop_tokens: Sequence[int] = ()) -> Generation:
    """Generates up to `max_new_tokens` after each row of `input_ids`
    ([batch, prompt] int64): greedy by default; with do_sample, sampled
    from the softmax of logits / temperature, cut to the top_k most likely
    tokens (0: all) and to the smallest set whose probability reaches top_p,
    from a generator seeded with `seed`. A row ends at a token in
    `stop_tokens`; generation ends when every row has."""
    ids = np.asarray(input_ids)
    if ids.ndim != 2 or ids.shape[1] == 0 or ids.dtype != np.int64:
        raise InvalidArgument("input_ids must be a non-empty [batch, prompt] "
                              f"int64 array, not {ids.dtype} {ids.shape}")
    if max_new_tokens < 0:
        raise InvalidArgument("max_new_tokens must be >= 0")
    if do_sample and (temperature <= 0 or not 0 < top_p <= 1 or top_k < 0):
        raise InvalidArgument("sampling needs temperature > 0, 0 < top_p <= 1 "
                              "and top_k >= 0")
    pairs = _cache_names(session)
    output_names = ["logits"] + list(pairs)
    rng = np.random.default_rng(seed)
    stops = np.asarray(list(stop_tokens), np.int64)
    batch = ids.shape[0]
    caches = _empty_caches(session, pairs, batch)

    tokens = [ids]
    done = np.zeros(batch, bool)
    made = [0] * batch
    step_input = ids
    prefill = decode = 0.0
    steps = 0
    for step in range(max_new_tokens):
        start = time.perf_counter()
        logits, *presents = session.run(output_names,
                                        {"input_ids": step_input, **caches})
        elapsed = time.perf_counter() - start
        if step == 0:
            prefill = elapsed
        else:
            decode += elapsed
            steps += 1
        caches = {pairs[name]: value for name, value in zip(pairs, presents)}
        chosen = _choose(logits[:, -1, :], rng, do_sample, temperature,
                         top_k, top_p)
        for row in range(batch):
            if done[row]:
                chosen[row] = tokens[-1][row, -1]
            else:
                made[row] += 1
                done[row] = bool(np.isin(chosen[row], stops))
        step_input = chosen.astype(np.int64).reshape(batch, 1)
        tokens.append(step_input)
        if done.all():
            break
    return Generation(np.concatenate(tokens, axis=1), made, prefill, decode,
                      steps)
