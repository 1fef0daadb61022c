"""``rnn-tutor inspect``: look inside a language model: its units while it reads a text, its surprise at each
character, and the units that follow bracket depth, quotes, line position ..."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import StreamFormat, StreamFormatOpt

DEFAULT_CHARS = 600
DEFAULT_FIND_CHARS = 20_000


@dataclass
class Shading:
    """What the table shades: one value per character, with its scale and words."""

    text: str
    values: list
    lo: float
    hi: float
    title: str
    legend: str
    rows: list  # per character, for json/csv/jsonl

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "legend": self.legend, "text": self.text, "lo": self.lo, "hi": self.hi,
                "chars": self.rows}


@dataclass
class Found:
    source: str
    chars: int
    features: list

    def as_dict(self) -> dict[str, Any]:
        from rnn_tutor import render

        return {"source": self.source, "chars": self.chars,
                "features": [{"feature": f.feature, "note": f.note,
                              "units": [{"unit": u.unit, "layer": u.layer, "index": u.index, "state": u.state,
                                         "r": u.r} for u in f.units]} for f in self.features],
                "strips": render.jsonable({f.feature: f.unit_values for f in self.features if f.units})}


@dataclass
class FeatureView:
    """One feature's ranking plus the strips of its best unit, for the table."""

    feature: str
    units: tuple
    note: str
    strip_text: str
    unit_strip: str
    feature_strip: str
    unit_values: list

    @property
    def name(self) -> str:
        return self.feature


def _text_to_read(saved, text: Optional[str], file: Optional[Path], max_chars: int) -> tuple[str, str]:
    from rnn_tutor.core import corpus, units
    from rnn_tutor.errors import BadValueError

    if text is not None and file is not None:
        raise BadValueError("--file", "give --text or --file, not both")
    if text is not None:
        if not text:
            raise BadValueError("--text", "is empty; give some text for the model to read")
        return text[:max_chars], "the text given (--text)"
    if file is not None:
        read = corpus.read_text_file(file, "--file", max_chars)
        return read.text, str(file)
    source = saved.meta.get("text")
    made = units.default_text(source, max_chars, saved.meta.get("seed") or 0)
    if made is None:
        trained = "is a state_dict, which does not say what it was trained on" if saved.meta.get("state_dict") \
            else f"was trained on {source or 'a file'}"
        raise BadValueError("--text", f"the model {trained}: give a text to read (--text '...' or --file FILE)")
    return made, f"fresh {source} text" if source == "brackets" else f"{source} text"


@app.command("inspect")
def inspect(
    model: Annotated[Path, typer.Argument(
        help="A language model saved by 'rnn-tutor train --task text --save', or a PyTorch state_dict saved with "
        "numpy.savez (then give --vocab).", show_default=False)],
    text: Annotated[Optional[str], typer.Option(
        "--text", help="The text to read (default: text of the kind the model was trained on, for the built-in "
        "corpora).", show_default=False)] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="Read the text from this UTF-8 file.",
                                                 show_default=False)] = None,
    unit: Annotated[Optional[str], typer.Option(
        "--unit", "-u", help="LAYER:INDEX of the unit to shade by, both from 0 (default: the unit that varies most "
        "on this text).", show_default=False)] = None,
    show: Annotated[str, typer.Option(
        "--show", help="Which value of the unit: h, c (LSTM) or a gate (LSTM i f g o, GRU r z n).")] = "h",
    surprise: Annotated[bool, typer.Option(
        "--surprise", help="Shade each character by the bits the model spent on it instead.")] = False,
    find: Annotated[bool, typer.Option(
        "--find", help="Rank units by |correlation| with bracket depth, quotes, position in line and word, "
        "character class.")] = False,
    top: Annotated[int, typer.Option("--top", help="With --find: units shown per feature.", min=1, max=20)] = 3,
    max_chars: Annotated[Optional[int], typer.Option(
        "--max-chars", help=f"Read at most this many characters (default {DEFAULT_CHARS:,}; with --find "
        f"{DEFAULT_FIND_CHARS:,}; at most 200,000, fewer for a large model).", show_default=False, min=1,
        max=200_000)] = None,
    vocab: Annotated[Optional[str], typer.Option(
        "--vocab", help="For a PyTorch state_dict: its characters in input-index order, as one string (index 0 "
        "first; no escapes: in bash $'\\n' is a newline).", show_default=False)] = None,
    vocab_file: Annotated[Optional[Path], typer.Option(
        "--vocab-file", help="For a PyTorch state_dict: a UTF-8 file of its characters in index order (exactly "
        "those, a final newline counts), a JSON list of them, or a JSON object char -> index.",
        show_default=False)] = None,
    fmt: StreamFormatOpt = StreamFormat.table,
) -> None:
    """Look inside a language model while it reads: each character shaded by one unit's value, with a strip of
    glyphs (▁ low .. █ high) under every line, so the values read without colour and on a projector.

    --surprise shades by the bits the model spent on each character (-log2 of the probability it gave it just
    before). --find ranks every unit (h, and c for an LSTM, of every layer) by |r| with features of the text and
    draws the best one's strip beside the feature's. JSON: per character its bits and the shaded value; with
    --find, feature -> units with r.

    A PyTorch state_dict (torch.nn.RNN/GRU/LSTM(V, H, num_layers=L), bare or under a module name such as
    lstm.weight_ih_l0, saved with numpy.savez) needs --vocab or --vocab-file: which character each of its V
    inputs is. Its head, the nn.Linear(H, V), is read from fc, head, decoder, linear, out, output, proj,
    lm_head, classifier or readout (.weight, .bias); an nn.Embedding(V, E) in front from embedding, embed, emb,
    encoder or embeddings (.weight), folded into weight_ih_l0. Without a head, the units and --find work, but
    the bits and --surprise need the head's logits.

    Examples:

        rnn-tutor inspect brackets.npz --find

        rnn-tutor inspect brackets.npz --text "(owl [cat (fox) bee] [gnu])" --unit 0:12 --show c

        rnn-tutor inspect code.npz --file mine.py --surprise --format json | jq '.chars[0]'

        rnn-tutor inspect torch_lm.npz --vocab-file vocab.txt --text "(owl [cat])" --find
    """
    import numpy as np

    from rnn_tutor.cli.train import one_blas_thread
    from rnn_tutor import render
    from rnn_tutor.core import statedict
    from rnn_tutor.core import units as core_units
    from rnn_tutor.errors import BadValueError, RnnTutorError
    from rnn_tutor.render import lm as view

    saved = statedict.load(model, vocab, vocab_file)
    m = saved.model
    if m.task.name != "text":
        raise RnnTutorError(f"{model} holds a model for the {m.task.name} task, not a language model",
                            "train one with: rnn-tutor train --task text --save model.npz")
    headless = "head.weight" not in m.params
    if headless and surprise:
        raise BadValueError("--surprise", f"needs the model's head (its nn.Linear(H, V), e.g. fc.weight and fc.bias), "
                                          f"which {model} does not have", "leave out --surprise to see its units")
    for note in saved.meta.get("notes") or ():
        render.hint(f"Read {model}: {note}.")
    if headless:
        render.hint(f"{model} has no head (nn.Linear(H, V) as fc/head/decoder/...): showing its units only; the "
                    "bits per character and --surprise need the head's logits.")
    what = core_units.check_what(m, show)
    n = max_chars or (DEFAULT_FIND_CHARS if find else DEFAULT_CHARS)
    body, source = _text_to_read(saved, text, file, n)
    with one_blas_thread():
        reading = core_units.read(m, body, keep=("h", "c", what))
    layers, H = reading.layers, reading.hidden
    if find:
        ranked = core_units.find(reading, top)
        views = []
        width = view._columns() - 8
        for f in ranked:
            if not f.units:
                views.append(FeatureView(f.feature, (), f.note, "", "", "", []))
                continue
            best = f.units[0]
            vals = reading.unit(best.layer, best.index, best.state)
            feat = core_units.features(body)[f.feature]
            k = min(len(body), width)
            lo, hi = float(vals.min()), float(vals.max())
            sign = 1.0 if best.r >= 0 else -1.0  # a unit that falls as the feature rises is drawn upside down
            views.append(FeatureView(f.feature, f.units, "", body[:k],
                                     view.strip(sign * vals[:k], min(sign * lo, sign * hi), max(sign * lo, sign * hi)),
                                     view.strip(feat[:k], float(feat.min()), float(feat.max())),
                                     [float(v) for v in vals]))
        view.emit_find(Found(source, len(body), views), fmt.value)
        return
    if surprise:
        values = reading.bits
        lo, hi = 0.0, float(np.log2(m.task.input_size))
        name = "bits"
        title = f"surprise: bits the model spent on each character of {source} (mean {values.mean():.3f} bpc)"
        legend = f"▁ 0 bits (no surprise) .. █ {hi:.2f} bits (log2 V, a blind guess) or more"
    else:
        if unit is None:
            layer, index = core_units.most_active_unit(reading, what)
            picked = " (the unit that varies most here)"
        else:
            layer, index = core_units.parse_unit(unit, layers, H)
            picked = ""
        values = reading.unit(layer, index, what)
        name = f"{what} {layer}:{index}"
        if what in ("h", "g", "n") or (what == "c"):
            lo, hi = (-1.0, 1.0) if what != "c" else (float(min(values.min(), -1e-9)), float(max(values.max(), 1e-9)))
        else:
            lo, hi = 0.0, 1.0
        title = f"{m.cell} unit {name}{picked} reading {source}"
        legend = f"▁ {lo:.2f} .. █ {hi:.2f}" + (" (gates run from 0 shut to 1 open)" if (lo, hi) == (0.0, 1.0) else "")
    rows = [{"i": i, "char": ch, "bits": None if headless else float(reading.bits[i]),
             "activations": {name: float(values[i])}} for i, ch in enumerate(body)]
    view.emit_inspect(Shading(body, [float(v) for v in values], lo, hi, title, legend, rows), fmt.value)
