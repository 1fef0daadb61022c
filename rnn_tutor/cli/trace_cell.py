"""``trace --cell rnn|gru|lstm``: the step-by-step trace of a vector cell (called by the ``trace`` command).

No typer here; errors are rnn_tutor errors, turned into exit codes by the caller.
"""

from __future__ import annotations

MAX_STEPS = 10_000
MAX_VOCAB = 4_096
DEFAULT_HIDDEN = 4  # trace's --hidden-size default


def run_cell_trace(tokens, values, vocab, cell, hidden_size, weights, seed, one_hot, fmt, layer=None) -> int:
    """Feed the inputs to a seeded (or loaded) cell and hand every step to the renderer."""
    import numpy as np

    from rnn_tutor import render
    from rnn_tutor.core import cells
    from rnn_tutor.core.train import task_vocabulary
    from rnn_tutor.core.weights import load_weights
    from rnn_tutor.errors import BadValueError, RnnTutorError
    from rnn_tutor.render import cells as rcells

    fmt = getattr(fmt, "value", fmt)
    cell = cells.check_cell(getattr(cell, "value", cell))
    if len(values) > MAX_STEPS:
        raise BadValueError("INPUT", f"a cell trace shows at most {MAX_STEPS:,} steps, got {len(values):,}")
    task_vocab = task_vocabulary(weights) if (one_hot and weights is not None) else None
    if task_vocab:
        # a model saved by `train`: its words have fixed one-hot positions, whatever order the sentence uses
        unknown = [t for t in tokens if t.casefold() not in task_vocab]
        if unknown:
            raise BadValueError("--sentence", f"{unknown[0]!r} is not a word this model knows "
                                              f"(known: {', '.join(task_vocab)})")
        vocab = {w: i + 1 for i, w in enumerate(task_vocab)}
    if one_hot:
        if not vocab:
            raise BadValueError("--one-hot", "needs words (--sentence, or no input for the lesson's sentence); "
                                             "numbers from --values or stdin are fed as they are")
        if len(vocab) > MAX_VOCAB:
            raise BadValueError("--one-hot", f"the vocabulary has {len(vocab):,} words; at most {MAX_VOCAB:,} fit")
        x = np.zeros((len(tokens), len(vocab)))  # (T, V): x_t = e_{index of word t}
        for t, tok in enumerate(tokens):
            x[t, vocab[tok.casefold()] - 1] = 1.0
    else:
        x = np.asarray(values, dtype=np.float64).reshape(-1, 1)  # (T, 1): one number per step
    d = x.shape[1]
    nonlinearity = "tanh"
    if weights is not None:
        w = load_weights(weights, cell=cell)
        if w.input_size != d:
            if not one_hot and w.input_size > 1:
                hint = (f"these weights read {w.input_size} numbers per step: "
                        f"try --one-hot with {w.input_size} distinct words")
            elif one_hot:
                hint = f"the sentence has {d} distinct words; these weights were made for {w.input_size}"
            else:
                hint = "drop --one-hot" if w.input_size == 1 else "match the input the weights were made for"
            raise RnnTutorError(f"weights file {weights} expects input size {w.input_size}, "
                                f"but this trace feeds {d} number(s) per step", hint)
        if hidden_size not in (DEFAULT_HIDDEN, w.hidden_size):
            render.warn(f"--hidden-size {hidden_size} is ignored: the weights file sets H = {w.hidden_size}")
        params, nonlinearity = w.params, w.nonlinearity
        source = {"weights": str(weights), "seed": None, "one_hot": bool(one_hot)}
    else:
        params = cells.init_params(cell, d, hidden_size, seed=seed)
        source = {"weights": None, "seed": seed, "one_hot": bool(one_hot)}
    tr = cells.trace(cell, params, x, tokens, nonlinearity=nonlinearity, layer=layer)  # a stack: one layer
    if tr.layers > 1:
        source.update(layer=tr.layer, layers=tr.layers)
    rcells.emit_cell_trace(tr, fmt, source=source, vocab=vocab)
    if tr.overflow:
        render.warn("a number left the 64-bit float range (inputs or weights too large); it is shown as nan "
                    "and written to JSON as null. Try smaller values.")
    return 0

