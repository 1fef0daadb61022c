"""Inside a language model: what each unit does while it reads a text, and which units follow a feature of it.

``read(model, text)`` runs the model over the text (as if it followed a newline, the way ``sample`` starts) and
keeps, for every character: the bits the model spent on it (-log2 of the probability it gave that character just
before reading it) and every layer's h, c (LSTM) and gates just after reading it.

``find`` ranks units (every layer's h, and c for an LSTM) by |Pearson r| with features computed from the text,
each taken just after reading a character:

- bracket depth: brackets ( [ { opened and not yet closed ("(a [b] c)" -> 1 1 1 2 2 1 1 1 0; never below 0);
- inside quotes: 1 from an opening ' or " up to its closing match (0 at the closing quote itself), a newline
  ends it;
- position in line: characters since the last newline (0 on the newline itself);
- position in word: the place of the character in its run of letters, digits and '_' (0 outside words);
- character class: 1 when the character just read is a letter / a digit / a space or tab / punctuation.

Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks", found such cells (quotes,
line length, bracket depth) in character-level LSTMs trained on real text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnn_tutor.core import heads, lm
from rnn_tutor.errors import BadValueError

FEATURES = ("bracket depth", "inside quotes", "position in line", "position in word", "letter", "digit",
            "space", "punctuation")
MAX_CHARS = 200_000
MAX_NUMBERS = 50_000_000  # unit values kept for one reading (characters x layers x units x kinds): 400 MB
CHUNK = 512


# ------------------------------------------------------------------------------------------- features


def bracket_depth(text: str) -> np.ndarray:
    out = np.empty(len(text))
    d = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            d += 1
        elif ch in ")]}":
            d = max(d - 1, 0)
        out[i] = d
    return out


def inside_quotes(text: str) -> np.ndarray:
    out = np.empty(len(text))
    quote = None
    for i, ch in enumerate(text):
        if quote is None:
            if ch in "'\"":
                quote = ch
        elif ch == quote or ch == "\n":
            quote = None
        out[i] = 1.0 if quote is not None else 0.0
    return out


def position_in_line(text: str) -> np.ndarray:
    out = np.empty(len(text))
    k = 0
    for i, ch in enumerate(text):
        k = 0 if ch == "\n" else k + 1
        out[i] = k
    return out


def _wordy(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def position_in_word(text: str) -> np.ndarray:
    out = np.empty(len(text))
    k = 0
    for i, ch in enumerate(text):
        k = k + 1 if _wordy(ch) else 0
        out[i] = k
    return out


def features(text: str) -> dict[str, np.ndarray]:
    """Every feature of FEATURES for each character of ``text``."""
    return {
        "bracket depth": bracket_depth(text),
        "inside quotes": inside_quotes(text),
        "position in line": position_in_line(text),
        "position in word": position_in_word(text),
        "letter": np.array([ch.isalpha() for ch in text], dtype=float),
        "digit": np.array([ch.isdigit() for ch in text], dtype=float),
        "space": np.array([ch in " \t" for ch in text], dtype=float),
        "punctuation": np.array([not (ch.isalnum() or ch.isspace()) for ch in text], dtype=float),
    }


# ------------------------------------------------------------------------------------------- reading a text


@dataclass
class Reading:
    """What the model did at each character of ``text``."""

    text: str
    bits: np.ndarray | None  # (n,) -log2 p(character) before reading it; None for a model without a head
    values: dict[tuple[int, str], np.ndarray] = field(repr=False)  # (layer, "h" | "c" | gate) -> (n, H)
    layers: int = 1
    hidden: int = 0

    def unit(self, layer: int, index: int, what: str = "h") -> np.ndarray:
        return self.values[(layer, what)][:, index]


def _layer_passes(fwd) -> tuple:
    """Each layer's pass (bottom first) of a forward result: ``.layers`` of a stack, else the pass itself."""
    return tuple(getattr(fwd, "layers", None) or (fwd,))


def read(model: heads.Model, text: str, keep=("h", "c")) -> Reading:
    """Run the model over ``text`` from a zero state after the start symbol (lm.start_symbol), keeping h, c and
    the gates named in ``keep`` ("gates" for all of them). A model without a head (``head.weight``, as a bare
    state_dict may come) gives the unit values and no bits."""
    if not text:
        raise BadValueError("--text", "is empty; give some text for the model to read")
    kinds = 2 + (4 if "gates" in keep else sum(1 for k in keep if k not in ("h", "c")))
    cap = min(MAX_CHARS, MAX_NUMBERS // (model.num_layers * model.hidden_size * kinds))
    if len(text) > cap:
        raise BadValueError("--max-chars", f"at most {cap:,} characters at once for this model (its "
                                           f"{model.num_layers} x {model.hidden_size} units), got {len(text):,}")
    vocab = lm.vocab_of(model.task)
    ids = lm.encode_prime(vocab, text, option="--text")
    seq = np.concatenate([[lm.start_symbol(vocab)], ids])  # inputs: the start symbol, then the text
    V = vocab.size
    W, b = model.params.get("head.weight"), model.params.get("head.bias")
    dtype = model.params["weight_ih_l0"].dtype
    state: dict = {}
    n = len(ids)
    bits = np.empty(n) if W is not None else None
    values: dict[tuple[int, str], list] = {}
    # position t of the text: the model reads seq[t] (the character before it) and predicts ids[t]; then it reads
    # ids[t] = seq[t + 1], and its states after that are the unit values at t
    for s in range(0, n + 1, CHUNK):
        xs = lm.one_hot(seq[None, s : s + CHUNK], V, dtype)
        T = xs.shape[1]
        h0, c0 = lm._initial_state(state, model)
        fwd = heads._forward(model, xs, h0=h0, c0=c0)
        state = lm._final_state(fwd)
        k = min(T, n - s)  # predictions of text characters s .. s + k - 1
        if bits is not None and k > 0:
            logits = heads.linear(W, b, np.asarray(fwd.h)[0]).astype(np.float64)  # (T, V)
            logp = logits - logits.max(-1, keepdims=True)
            logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
            bits[s : s + k] = -logp[np.arange(k), ids[s : s + k]] / lm.LN2
        lo = 1 if s == 0 else 0  # the state after the start symbol belongs to no text character
        for layer, f in enumerate(_layer_passes(fwd)):
            parts = {"h": f.h, **({"c": f.c} if getattr(f, "c", None) is not None else {}), **f.gates}
            for name, arr in parts.items():
                if name in ("h", "c") or name in keep or "gates" in keep:  # h and c always (--find uses them)
                    values.setdefault((layer, name), []).append(np.array(np.asarray(arr)[0, lo:]))
    out = {k: np.concatenate(v)[:n] for k, v in values.items()}
    return Reading(text, bits, out, len(_layer_passes(fwd)), model.hidden_size)


def parse_unit(spec: str, reading_layers: int, hidden: int) -> tuple[int, int]:
    """'LAYER:INDEX' (both from 0) -> (layer, index)."""
    text = str(spec).strip()
    layer_s, sep, index_s = text.partition(":")
    if not sep:
        layer_s, index_s = "0", text
    try:
        layer, index = int(layer_s), int(index_s)
    except ValueError:
        raise BadValueError("--unit", f"give LAYER:INDEX such as 0:5, got {spec!r}") from None
    if not 0 <= layer < reading_layers:
        raise BadValueError("--unit", f"layer {layer} does not exist: the model has layers 0 to {reading_layers - 1}")
    if not 0 <= index < hidden:
        raise BadValueError("--unit", f"unit {index} does not exist: each layer has units 0 to {hidden - 1}")
    return layer, index


def check_what(model: heads.Model, what: str) -> str:
    from rnn_tutor.core.cells import GATE_NAMES

    allowed = ["h"] + (["c"] if model.cell == "lstm" else []) + [g for g in GATE_NAMES[model.cell] if g != "h"]
    w = str(what).strip().lower()
    if w not in allowed:
        raise BadValueError("--show", f"choose one of {', '.join(allowed)} for {'an' if model.cell != 'gru' else 'a'} "
                                      f"{model.cell.upper()}, got {what!r}")
    return w


def most_active_unit(reading: Reading, what: str = "h") -> tuple[int, int]:
    """(layer, index) of the unit whose value varies most over the text (the largest standard deviation)."""
    best, where = -1.0, (0, 0)
    for layer in range(reading.layers):
        sd = reading.values[(layer, what)].std(axis=0)
        i = int(sd.argmax())
        if sd[i] > best:
            best, where = float(sd[i]), (layer, i)
    return where


# ------------------------------------------------------------------------------------------- --find


@dataclass(frozen=True)
class UnitR:
    unit: str  # "h 0:5"
    layer: int
    index: int
    state: str  # "h" or "c"
    r: float


@dataclass(frozen=True)
class FeatureUnits:
    feature: str
    units: tuple[UnitR, ...]  # best first by |r|
    note: str = ""  # why there are none (the feature is constant over this text)


def correlations(reading: Reading, feats: dict[str, np.ndarray]) -> tuple[list[tuple[int, str]], np.ndarray]:
    """(blocks, R): the (layer, state) blocks of H units in order, and R (U, K): R[u, k] is Pearson's r between
    unit u's values and feature k over the characters (0 where either is constant)."""
    keys = [(layer, s) for layer in range(reading.layers) for s in ("h", "c") if (layer, s) in reading.values]
    A = np.concatenate([reading.values[k] for k in keys], axis=1)  # (n, U)
    F = np.stack([feats[name] for name in feats], axis=1)  # (n, K)
    A = A - A.mean(0)
    F = F - F.mean(0)
    sa, sf = np.sqrt((A * A).sum(0)), np.sqrt((F * F).sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        R = (A.T @ F) / np.outer(sa, sf)
    R[~np.isfinite(R)] = 0.0
    R[sa < 1e-12 * max(1.0, float(sa.max(initial=0))), :] = 0.0
    return keys, R


def find(reading: Reading, top: int = 3) -> list[FeatureUnits]:
    """For each feature, the ``top`` units by |r|."""
    if len(reading.text) < 3:
        raise BadValueError("--text", "give at least 3 characters to correlate over")
    feats = features(reading.text)
    keys, R = correlations(reading, feats)
    H = reading.hidden
    out = []
    for k, name in enumerate(feats):
        f = feats[name]
        if np.ptp(f) == 0:
            out.append(FeatureUnits(name, (), "the same at every character of this text"))
            continue
        order = np.argsort(-np.abs(R[:, k]), kind="stable")[:top]
        units = []
        for u in order:
            layer, s = keys[u // H]
            units.append(UnitR(f"{s} {layer}:{u % H}", layer, int(u % H), s, float(R[u, k])))
        out.append(FeatureUnits(name, tuple(units)))
    return out


def default_text(source: str | None, n: int, seed: int = 0) -> str | None:
    """Text of the kind a built-in corpus holds, for a model trained on it: fresh brackets (another seed than
    training's), the end of the lessons, the standard-library files a training run reads last. None for a file."""
    from rnn_tutor.core import corpus

    name = str(source or "").lower()
    if name == "brackets":
        return corpus.brackets_text(n + 200, seed=seed + 1_000_003)[:n]
    if name == "lessons":
        text = corpus.lessons_text()[-n:]
        return text[text.find("\n") + 1 :] if "\n" in text[:-1] else text
    if name == "stdlib":
        return corpus.stdlib_text(n, from_end=True)[0][:n]
    return None
