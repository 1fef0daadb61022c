"""``trace --cell rnn|gru|lstm`` and ``trace --weights FILE``: the step-by-step trace of a vector cell.

The inputs are the scalar trace's (the exercise sentence, ``--sentence``, ``--values``, a file or ``-``), fed as one
number per step or, with ``--one-hot``, as one-hot words. A saved model (``train --save``) reads its task's own
input format instead, the text ``predict --input`` takes (``--input``, or ``--sentence``/``--values``/INPUT as
text; the task's example when none), so every saved model can be traced step by step.

No typer here; errors are rnn_tutor errors, turned into exit codes by the caller.
"""

from __future__ import annotations

MAX_STEPS = 10_000
MAX_VOCAB = 4_096
DEFAULT_HIDDEN = 4  # trace's --hidden-size default


def _task_of(path):
    """The task a saved model was trained on, or None for a plain weights file (read as task_vocabulary reads it)."""
    from rnn_tutor.core import weights as wio
    from rnn_tutor.core.tasks import get_task
    from rnn_tutor.core.savedmodel import MODEL_META
    from rnn_tutor.errors import BadValueError

    with wio.ModelFile(path, missing_hint="check the path given to --weights") as f:
        name = f.meta({"meta_task": MODEL_META["meta_task"]})["meta_task"]
    if name is None:
        return None
    try:
        return get_task(name)
    except BadValueError:
        return None


def _model_inputs(task, source, sentence, values, model_input, one_hot):
    """x (T, D), tokens and the one-hot vocabulary for a saved model, from the text in its own format."""
    from rnn_tutor.cli.trace_impl import input_text
    from rnn_tutor.errors import BadValueError

    given = [name for name, v in (("--input", model_input), ("--sentence", sentence), ("--values", values),
                                  ("INPUT", source)) if v is not None]
    if len(given) > 1:
        raise BadValueError(given[1], f"give the model one input (got {' and '.join(given)})")
    if one_hot and not task.vocab:
        raise BadValueError("--one-hot", f"the {task.name} model reads numbers (value and marker pairs), not "
                                         f"one-hot words: drop --one-hot")
    option = given[0] if given else "--input"
    if model_input is not None:
        text = model_input
    elif sentence is not None:
        text = sentence
    elif given:
        text = input_text(source, values)
    else:
        text = task.example
    try:
        x = task.encode(text)[0]  # (T, D)
    except BadValueError as e:
        raise BadValueError(option, e.message + f" (the {task.name} model's input looks like: {task.example!r})"
                            if task.example not in e.message else e.message) from None
    tokens = text.replace(",", " ").split()
    vocab = {w: i + 1 for i, w in enumerate(task.vocab)} if task.vocab else {}
    return x, tokens, vocab, bool(task.vocab)


def run_cell_trace(*, source, sentence, values, model_input, cell, hidden_size, weights, seed, one_hot,
                   fmt, layer=None) -> int:
    """Feed the inputs to a seeded (or loaded) cell and hand every step to the renderer."""
    import numpy as np

    from rnn_tutor import render
    from rnn_tutor.cli.trace_impl import gather_inputs
    from rnn_tutor.core import cells, celltrace
    from rnn_tutor.core.statedict import trace_weights
    from rnn_tutor.errors import BadValueError, RnnTutorError
    from rnn_tutor.render import cells as rcells

    fmt = getattr(fmt, "value", fmt)
    w, notes = trace_weights(weights, cell=cell) if weights is not None else (None, [])
    for note in notes:  # a whole torch model's state_dict: what was read from it, and what was left out
        render.message(note)
    cell = cells.check_cell(w.cell if w is not None else cell)
    task = _task_of(weights) if weights is not None else None
    if model_input is not None and task is None:
        raise BadValueError("--input", "needs a saved model (--weights FILE written by `rnn-tutor train --save`); "
                                       "a plain cell reads --sentence, --values, a file or '-'")
    if task is not None:
        x, tokens, vocab, one_hot = _model_inputs(task, source, sentence, values, model_input, one_hot)
    else:
        tokens, numbers, vocab = gather_inputs(source, sentence, values, allow_default=True)
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
            x = np.asarray([float(v) for v in numbers], dtype=np.float64).reshape(-1, 1)  # (T, 1): a number a step
    if len(x) > MAX_STEPS:
        raise BadValueError("INPUT", f"a cell trace shows at most {MAX_STEPS:,} steps, got {len(x):,}")
    d = x.shape[1]
    nonlinearity = "tanh"
    if w is not None:
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
        source_info = {"weights": str(weights), "seed": None, "one_hot": bool(one_hot),
                       "task": task.name if task is not None else None}
    else:
        params = cells.init_params(cell, d, hidden_size, seed=seed)
        source_info = {"weights": None, "seed": seed, "one_hot": bool(one_hot), "task": None}
    tr = celltrace.trace(cell, params, x, tokens, nonlinearity=nonlinearity, layer=layer)  # a stack: one layer
    if tr.layers > 1:
        source_info.update(layer=tr.layer, layers=tr.layers)
    rcells.emit_cell_trace(tr, fmt, source=source_info, vocab=vocab)
    if tr.overflow:
        render.warn("a number left the 64-bit float range (inputs or weights too large); it is shown as nan "
                    "and written to JSON as null. Try smaller values.")
    return 0
