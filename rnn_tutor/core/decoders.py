"""``compare --decoders``: the plain decoder against attention, trained alike, accuracy against length.

The shape of Bahdanau, Cho & Bengio (2014), figure 2 (BLEU against sentence length: the plain encoder-decoder
falls as sentences grow, the attentive one holds), measured on a task a laptop trains in seconds. The figure
that matters is exact-sequence accuracy: the share of held-out inputs whose whole output is right.
"""

from __future__ import annotations

from rnn_tutor.core import attention
from rnn_tutor.errors import BadValueError

DEFAULT_LENGTHS = "2,4,8,16,32"  # compare --decoders without --length or --lengths
HALF = 0.5  # "the plain decoder fails": fewer than half of the held-out outputs right in every symbol


def parse_decoders(text: str, option: str = "--decoders") -> list[tuple[str, str | None]]:
    """'plain,attention' -> [('plain', None), ('attention', 'additive')]; 'additive' and 'dot' name one form."""
    out: list[tuple[str, str | None]] = []
    for item in (v.strip().lower() for v in str(text).split(",")):
        if not item:
            continue
        if item == "plain":
            out.append(("plain", None))
        elif item == "attention":
            out.append(("attention", attention.DEFAULT_SCORE))
        elif item in attention.SCORES:
            out.append(("attention", item))
        else:
            raise BadValueError(option, f"{item!r} is not a decoder; choose from plain, attention (= "
                                f"{attention.DEFAULT_SCORE}), {', '.join(attention.SCORES)}")
    if not out:
        raise BadValueError(option, "give at least one of plain, attention")
    if len(set(out)) != len(out):
        raise BadValueError(option, f"each decoder once, got {text!r} (attention means {attention.DEFAULT_SCORE})")
    return out


def label(decoder: str, score: str | None) -> str:
    """How a table row names a decoder: plain, additive, dot."""
    return "plain" if decoder == "plain" else str(score)


def _pct(v: float | None) -> str:
    from rnn_tutor.core.compare import pct

    return pct(v)


def first_plain_failure(rows) -> int | None:
    """The shortest length at which a plain decoder gets fewer than half of the outputs exactly right."""
    lengths = sorted(r.length for r in rows if r.decoder == "plain" and (r.sequence_accuracy or 0.0) < HALF)
    return lengths[0] if lengths else None


def decoder_sentence(rows, hidden: int) -> str:
    """What the comparison shows, with the numbers as the table writes them."""
    stopped = next((r for r in rows if r.interrupted), None)
    if stopped is not None:
        return (f"Interrupted while training the {label(stopped.decoder, stopped.score)} decoder at length "
                f"{stopped.length}: these numbers are partial; run it to the end to compare the decoders.")
    kinds = list(dict.fromkeys((r.cell, r.decoder, r.score) for r in rows))
    parts = []
    for cell, dec, score in kinds:
        mine = sorted((r for r in rows if (r.cell, r.decoder, r.score) == (cell, dec, score)), key=lambda r: r.length)
        name = label(dec, score) + (f" ({cell})" if len({k[0] for k in kinds}) > 1 else "")
        if len(mine) == 1:
            parts.append(f"{name} {_pct(mine[0].sequence_accuracy)} at length {mine[0].length}")
        else:
            parts.append(f"{name} {_pct(mine[0].sequence_accuracy)} at length {mine[0].length} -> "
                         f"{_pct(mine[-1].sequence_accuracy)} at {mine[-1].length}")
    text = "Outputs right in every symbol: " + "; ".join(parts) + "."
    at = first_plain_failure(rows)
    plain = [r for r in rows if r.decoder == "plain" and r.length == at]
    attentive = [r for r in rows if r.decoder == "attention" and r.length == at]
    if at is None or not attentive:
        if at is None and any(r.decoder == "plain" for r in rows):
            text += " The plain decoder still gets at least half right at every length here: try longer --lengths."
        return text
    p = plain[0]
    best = max(attentive, key=lambda r: r.sequence_accuracy or 0.0)
    same = f"the same {p.cell}, hidden size {hidden}, budget and seed"
    text += (f" At length {at}, the first where the plain decoder gets fewer than half right "
             f"({_pct(p.sequence_accuracy)}), {label(best.decoder, best.score)} attention with {same} gets "
             f"{_pct(best.sequence_accuracy)}")
    if (best.sequence_accuracy or 0.0) > (p.sequence_accuracy or 0.0) + 0.1:
        text += (f": the plain decoder must carry the whole input in one state of {hidden} numbers, while "
                 "attention reads every encoder state again at every output step.")
    else:
        text += ": attention did not help here within this budget; try more --steps."
    return text
