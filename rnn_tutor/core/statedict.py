"""A character-level language model from a PyTorch ``state_dict`` saved with ``numpy.savez``, with the vocabulary
the user gives (a state_dict holds numbers only: which character each input index stands for is not in it).

What a torch user saves, and how it is read (every entry checked from its .npy header before it is read, through
``weights.ModelFile``: no pickles, the archive's size caps):

- the recurrent cell: ``weight_ih_l0`` .. ``bias_hh_l{L-1}`` of ``nn.RNN/GRU/LSTM``, bare (``rnn.state_dict()``)
  or under one module name (``lstm.weight_ih_l0`` from ``model.state_dict()`` of a module holding
  ``self.lstm``); the cell is told apart by G = rows / H, the layers by the names;
- optionally the head, the ``nn.Linear(H, V)`` that turns h into logits: ``<name>.weight`` (V, H) and
  ``<name>.bias`` (V,) (a Linear without bias: zeros), ``<name>`` one of ``HEAD_NAMES`` (the last part of the
  module path, so ``model.fc.weight`` counts);
- optionally an ``nn.Embedding(V, E)`` in front of the cell, ``<name>.weight`` (V, E) with ``<name>`` one of
  ``EMBEDDING_NAMES`` (PyTorch's word_language_model example calls it ``encoder`` and its head ``decoder``).
  Reading character k through it gives the cell E[k]; the first layer then computes W_ih E[k] = (W_ih E^T)[:, k],
  so the embedding is folded into ``weight_ih_l0`` (W_ih E^T, (G*H, V)), which reads a one-hot character exactly
  as the pair did.

The vocabulary: V characters in index order (``--vocab CHARS`` or ``--vocab-file FILE``), where V is the number of
one-hot inputs (weight_ih_l0's columns, or the embedding's rows); a file holds exactly the characters (a final
newline counts as one), or a JSON list of them, or a JSON object mapping each character to its index (stoi) or
each index to its character (itos). A ``meta_vocab`` entry (code points, as rnn-tutor saves it) in the file
serves too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np

from rnn_tutor.core import weights
from rnn_tutor.core.corpus import Vocab
from rnn_tutor.errors import BadValueError, RnnTutorError

HEAD_NAMES = ("fc", "head", "decoder", "linear", "out", "output", "proj", "lm_head", "classifier", "readout")
EMBEDDING_NAMES = ("embedding", "embed", "emb", "encoder", "embeddings")
MAX_VOCAB = 10_000  # characters a state_dict's model may read (a one-hot of V numbers per character)
MAX_VOCAB_FILE = 1 << 20  # bytes of a --vocab-file (a JSON object of 10,000 characters is about 120 KB)
VOCAB_HELP = ("give the characters in index order: --vocab CHARS, or --vocab-file FILE holding exactly them, a "
              "JSON list of them, or a JSON object char -> index")
_CELL_KEY = re.compile(r"(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?")


@dataclass(frozen=True)
class StateDict:
    """What a bare state_dict holds, found from its entries' names and headers (nothing read yet)."""

    prefix: str  # "" or "lstm." : the module the cell's entries sit under
    head: str | None  # "fc" : the Linear's entries are head + ".weight" / ".bias"
    head_bias: bool
    embedding: str | None  # "encoder" : the Embedding's entry is embedding + ".weight"
    inputs: int  # V: one-hot inputs the model reads (weight_ih_l0's columns, or the embedding's rows)
    has_vocab: bool  # a meta_vocab entry


class _View:
    """An archive seen through other names (new -> raw), showing only those entries."""

    def __init__(self, archive, names: dict[str, str]):
        self._archive, self._names = archive, names
        self.infos = {new: archive.infos[raw] for new, raw in names.items()}

    def read(self, key: str):
        return self._archive.read(self._names[key])

    def bad(self, message: str, hint: str | None = None):
        return self._archive.bad(message, hint)

    def close(self) -> None:  # the ModelFile that owns the archive closes it
        pass


class _Part(weights.ModelFile):
    """Some entries of an open ModelFile under new names, with every check ModelFile makes."""

    def __init__(self, owner: weights.ModelFile, names: dict[str, str]):
        self.path, self.what = owner.path, owner.what
        self.archive = _View(owner.archive, names)
        self.infos = self.archive.infos


def is_rnn_tutor_model(f: weights.ModelFile) -> bool:
    """A model saved by ``train --save`` (it names its task) rather than a bare state_dict."""
    return "meta_task" in f.infos


def survey(f: weights.ModelFile) -> StateDict:
    """Which entries are the cell, the head and the embedding; anything else is refused by name."""
    names = [k for k in f.infos if not k.startswith(weights.META_PREFIX)]
    prefixes = sorted({k[: -len("weight_ih_l0")] for k in names if k.endswith("weight_ih_l0")
                       and (k == "weight_ih_l0" or k.endswith(".weight_ih_l0"))})
    if not prefixes:
        shown = ", ".join(names[:6]) or "no arrays"
        raise f.bad(f"holds no recurrent cell (no weight_ih_l0, bare or as <module>.weight_ih_l0); it has {shown}",
                    "save the state_dict of a torch.nn.RNN, GRU or LSTM (or of a module holding one) with numpy.savez")
    if len(prefixes) > 1:
        raise f.bad(f"holds {len(prefixes)} recurrent cells ({', '.join(p + 'weight_ih_l0' for p in prefixes[:4])}); "
                    "a language model here has one", "save the state_dict of one character model")
    prefix = prefixes[0]
    heads, embeddings, other = [], [], []
    for k in names:
        if k.startswith(prefix) and _CELL_KEY.fullmatch(k[len(prefix):]):
            continue
        module, _, leaf = k.rpartition(".")
        last = module.rpartition(".")[2]
        if leaf in ("weight", "bias") and last in HEAD_NAMES:
            heads.append(module)
        elif leaf == "weight" and last in EMBEDDING_NAMES:
            embeddings.append(module)
        else:
            other.append(k)
    if other:
        raise f.bad(f"has entries rnn-tutor cannot place: {', '.join(other[:6])}; it reads "
                    f"{prefix}weight_ih_l0 .. (the cell), a head <{'|'.join(HEAD_NAMES[:4])}|...>.weight/.bias "
                    f"(nn.Linear(H, V)) and an embedding <{'|'.join(EMBEDDING_NAMES[:4])}|...>.weight",
                    "save only the cell, its Linear head and its Embedding, under those names")
    head_modules = sorted(set(heads))
    if len(head_modules) > 1:
        raise f.bad(f"has {len(head_modules)} heads ({', '.join(m + '.weight' for m in head_modules)}); expected one "
                    "nn.Linear(H, V)")
    if len(embeddings) > 1:
        raise f.bad(f"has {len(embeddings)} embeddings ({', '.join(m + '.weight' for m in embeddings)}); expected "
                    "at most one nn.Embedding(V, E)")
    head = head_modules[0] if head_modules else None
    if head is not None and head + ".weight" not in f.infos:
        raise f.bad(f"has {head}.bias but no {head}.weight: the head nn.Linear(H, V) needs its weight (V, H)")
    embedding = embeddings[0] if embeddings else None
    w_ih = f.infos[prefix + "weight_ih_l0"]
    if embedding is not None:
        e = f.infos[embedding + ".weight"]
        if e.ndim != 2 or e.dtype.kind != "f":
            raise f.bad(f"{embedding}.weight should be an nn.Embedding's (V, E) floating-point numbers, got "
                        f"{e.dtype} {e.shape}")
        if w_ih.ndim == 2 and e.shape[1] != w_ih.shape[1]:
            raise f.bad(f"{embedding}.weight {e.shape} gives vectors of {e.shape[1]} numbers, but "
                        f"{prefix}weight_ih_l0 {w_ih.shape} reads {w_ih.shape[1]}")
        inputs = int(e.shape[0])
    else:
        inputs = int(w_ih.shape[1]) if w_ih.ndim == 2 else 0
    return StateDict(prefix, head, head is not None and head + ".bias" in f.infos, embedding, inputs,
                     "meta_vocab" in f.infos)


def parse_vocab(chars: str, source: str, option: str) -> Vocab:
    """The characters, in index order, of a vocabulary given as text (or as JSON, when it reads as such)."""
    listed = _json_vocab(chars, option) if chars[:1] in "[{" else None
    seq = listed if listed is not None else list(chars)
    if not seq:
        raise BadValueError(option, f"{source} is empty; {VOCAB_HELP}")
    seen: dict[str, int] = {}
    for i, ch in enumerate(seq):
        if ch in seen:
            tail = (" (a file's final newline counts as a character: write the file without it)"
                    if ch == "\n" and i == len(seq) - 1 and option == "--vocab-file" else "")
            raise BadValueError(option, f"{source} has {ch!r} twice (indices {seen[ch]} and {i}); each character "
                                        f"must stand for one input index{tail}")
        seen[ch] = i
    if len(seq) > MAX_VOCAB:
        raise BadValueError(option, f"{source} has {len(seq):,} characters; at most {MAX_VOCAB:,}")
    return Vocab(tuple(seq))


def _json_vocab(text: str, option: str) -> list[str] | None:
    """A JSON list of characters, or an object char -> index / index -> char; None when the text is not JSON
    (then it is the characters themselves, '[' and '{' included)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, list):
        if all(isinstance(c, str) and len(c) == 1 for c in data):
            return data
        raise BadValueError(option, "a JSON vocabulary list must hold one-character strings in index order")
    if isinstance(data, dict):
        items = list(data.items())
        if all(isinstance(v, int) and not isinstance(v, bool) and len(k) == 1 for k, v in items):  # stoi
            by_index = {v: k for k, v in items}
        elif all(isinstance(v, str) and len(v) == 1 and k.strip().lstrip("-").isdigit() for k, v in items):  # itos
            by_index = {int(k): v for k, v in items}
        else:
            raise BadValueError(option, "a JSON vocabulary object must map each character to its index "
                                        '({"a": 0, ...}) or each index to its character ({"0": "a", ...})')
        if sorted(by_index) != list(range(len(items))):
            raise BadValueError(option, f"the indices of a JSON vocabulary must be 0 to {len(items) - 1}, each once")
        return [by_index[i] for i in range(len(items))]
    return None


def read_vocab(vocab: str | None, vocab_file) -> tuple[Vocab, str] | None:
    """(the vocabulary, where it came from) from --vocab or --vocab-file; None when neither is given."""
    if vocab is not None and vocab_file is not None:
        raise BadValueError("--vocab-file", "give --vocab or --vocab-file, not both")
    if vocab is not None:
        return parse_vocab(vocab, "--vocab", "--vocab"), "--vocab"
    if vocab_file is not None:
        from rnn_tutor.core import corpus, fileio

        data = fileio.read_bytes(vocab_file, limit=MAX_VOCAB_FILE, what="vocabulary file", option="--vocab-file",
                                 too_large_hint="a vocabulary file holds the characters only")
        if not data:
            raise BadValueError("--vocab-file", f"{vocab_file} is empty; {VOCAB_HELP}")
        text, _ = corpus.decode(data, str(vocab_file), "--vocab-file", MAX_VOCAB_FILE)
        return parse_vocab(text, str(vocab_file), "--vocab-file"), str(vocab_file)
    return None


def load(path, vocab: str | None = None, vocab_file=None):
    """A language model from ``path``: a model saved by ``train --task text`` (then no vocabulary may be given),
    or a bare PyTorch state_dict with the vocabulary given. Returns ``savedmodel.SavedModel``; its ``meta`` has
    ``state_dict`` (True for a bare one), ``head`` (the head's module name, or None: then the model has no
    ``head.weight`` and nothing that needs logits can run) and ``notes`` (what was done to read it)."""
    from rnn_tutor.core import lm
    from rnn_tutor.core import savedmodel as core

    with weights.ModelFile(path, "model file", hint="train and save the model again",
                           missing_hint=core._MISSING_MODEL) as f:
        if is_rnn_tutor_model(f):
            bare = None
        else:
            bare = survey(f)
            given = read_vocab(vocab, vocab_file)
            if given is None and bare.has_vocab:
                given = (lm.vocab_of(lm.task_from_file(f)[0]), "its meta_vocab")  # checked as a saved model's
            return _from_state_dict(f, bare, given)
    if vocab is not None or vocab_file is not None:
        raise BadValueError("--vocab" if vocab is not None else "--vocab-file",
                            f"{path} is a model saved by rnn-tutor, which knows its characters; leave this out")
    saved = core.load_model(path)
    saved.meta.update(state_dict=False, head="head", notes=[])
    return saved


def _from_state_dict(f: weights.ModelFile, sd: StateDict, given):
    from rnn_tutor.core import cells, heads, lm
    from rnn_tutor.core import savedmodel as core

    cell_names = {k[len(sd.prefix):]: k for k in f.infos if k.startswith(sd.prefix)
                  and _CELL_KEY.fullmatch(k[len(sd.prefix):])}
    w = _Part(f, cell_names).cell_weights()
    layers = f"{w.num_layers} layers" if w.num_layers > 1 else "one layer"
    if given is None:
        raise BadValueError("--vocab", f"{f.path} is a bare state_dict ({weights.a_cell(w.cell)}, {layers} of "
                                       f"{w.hidden_size} units, reading {sd.inputs} one-hot inputs) without a "
                                       "vocabulary: say which character each input index stands for", VOCAB_HELP)
    vocab, source = given
    if vocab.size != sd.inputs:
        where = (f"{sd.embedding}.weight has {sd.inputs} rows" if sd.embedding
                 else f"{sd.prefix}weight_ih_l0 has {sd.inputs} columns")
        option = "--vocab-file" if source not in ("--vocab", "its meta_vocab") else "--vocab"
        chars = f"{vocab.size} character" + ("s" if vocab.size != 1 else "")
        raise BadValueError(option, f"{source} has {chars}, but the model reads {sd.inputs} one-hot "
                                    f"inputs ({where}): give exactly {sd.inputs} characters, in index order")
    params = dict(w.params)
    notes = []
    if sd.embedding:
        key = sd.embedding + ".weight"
        emb = _Part(f, {key: key}).array(key, (vocab.size, w.input_size))  # (V, E)
        params["weight_ih_l0"] = params["weight_ih_l0"] @ emb.T  # (G*H, E) (E, V) -> (G*H, V)
        notes.append(f"{sd.embedding}.weight ({vocab.size} x {w.input_size}) folded into weight_ih_l0 "
                     "(W_ih E^T: the same numbers for a one-hot character)")
    H, V = w.hidden_size, vocab.size
    if sd.head:
        wk, bk = sd.head + ".weight", sd.head + ".bias"
        part = _Part(f, {wk: wk} | ({bk: bk} if sd.head_bias else {}))
        hint = f"the head nn.Linear({H}, {V}) has weight ({V}, {H}) and bias ({V},)"
        params["head.weight"] = part.array(wk, (V, H), hint)
        params["head.bias"] = part.array(bk, (V,), hint) if sd.head_bias else np.zeros(V)
    if w.nonlinearity != "tanh":
        raise RnnTutorError(f"{f.path}: a {w.nonlinearity} RNN is not a language model rnn-tutor reads")
    cells.check_cell(w.cell)
    model = heads.Model(w.cell, lm.vocab_task(vocab), H, params)
    meta = {"state_dict": True, "head": sd.head, "notes": notes, "vocab_source": source, "text": None,
            "seed": None}
    return core.SavedModel(model, 100, meta, str(f.path))


def trace_weights(path, cell: str | None = None, *, dtype=np.float64) -> tuple[weights.Weights, list[str]]:
    """The recurrent cell of a weights file for ``trace --weights``, and notes on what was done to read it.

    A plain weights file, a model saved by rnn-tutor, or a bare ``nn.RNN/GRU/LSTM`` state_dict reads as
    ``weights.load_weights`` reads it. The state_dict of a whole torch model (``model.state_dict()``: the cell under
    its module's name, ``lstm.weight_ih_l0``, with a head ``fc.*`` and maybe an ``nn.Embedding``) goes through the
    same ``survey`` inspect uses: the cell's entries lose their prefix, the head is left out (a trace shows the
    cell's steps, not the logits), and an embedding is folded into ``weight_ih_l0`` (W_ih E^T, (G*H, V)), so the
    traced cell reads a one-hot character as the model did and input k is the embedding's row k."""
    with weights.ModelFile(path, missing_hint="check the path given to --weights") as f:
        tensors = [k for k in f.infos if not k.startswith(weights.META_PREFIX)]
        if is_rnn_tutor_model(f) or all(_CELL_KEY.fullmatch(k) for k in tensors):
            return f.cell_weights(cell, dtype=dtype), []
        sd = survey(f)
        cell_names = {k[len(sd.prefix):]: k for k in f.infos if k.startswith(sd.prefix)
                      and _CELL_KEY.fullmatch(k[len(sd.prefix):])}
        w = _Part(f, cell_names).cell_weights(cell, dtype=dtype)
        notes = []
        if sd.prefix:
            notes.append(f"the cell is read from {sd.prefix}weight_ih_l0 .. (the {sd.prefix[:-1]} module)")
        if sd.head:
            notes.append(f"{sd.head}.weight/.bias (the head, nn.Linear) are left out: a trace shows the cell's steps")
        if not sd.embedding:
            return w, notes
        key = sd.embedding + ".weight"
        emb = _Part(f, {key: key}).array(key, (sd.inputs, w.input_size)).astype(dtype)  # (V, E)
        params = dict(w.params)
        params["weight_ih_l0"] = params["weight_ih_l0"] @ emb.T  # (G*H, E) (E, V) -> (G*H, V)
        notes.append(f"{key} ({sd.inputs} x {w.input_size}) is folded into weight_ih_l0 (W_ih E^T): the cell reads "
                     f"{sd.inputs} one-hot inputs, input k standing for the embedding's row k (use --one-hot)")
        return weights.Weights(w.cell, sd.inputs, w.hidden_size, params, w.nonlinearity, w.source,
                               w.num_layers), notes
