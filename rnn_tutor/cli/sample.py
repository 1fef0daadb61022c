"""``rnn-tutor sample``: let a saved language model write, one character at a time."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import NUMBER, SeedOpt, number


class SampleFormat(str, enum.Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


@app.command("sample")
def sample(
    model: Annotated[Path, typer.Argument(
        help="A language model saved by 'rnn-tutor train --task text --save', or a PyTorch state_dict with its "
        "head, saved with numpy.savez (then give --vocab; see 'rnn-tutor inspect --help').", show_default=False)],
    length: Annotated[int, typer.Option("--length", "-n", help="Characters to write (1-100,000).")] = 300,
    temperature: Annotated[float, typer.Option(
        "--temperature", "-t", parser=number("--temperature"), metavar=NUMBER,
        help="Divide the logits by this before the softmax (0-100): below 1 safer and more repetitive, above 1 "
        "wilder; 0 always takes the likeliest character, as any tiny temperature does.")] = 1.0,
    prime: Annotated[str, typer.Option(
        "--prime", "-p", help="Text the model reads first and then continues (default: as after a newline).",
        show_default=False)] = "",
    seed: SeedOpt = 0,
    fmt: Annotated[SampleFormat, typer.Option(
        "--format", "-f", help="text streams the characters as they come; jsonl one object per character with "
        "its probability and csv one row per character, also as they come; json all of them at the end.",
        case_sensitive=False)] = SampleFormat.text,
    vocab: Annotated[Optional[str], typer.Option(
        "--vocab", help="For a PyTorch state_dict: its characters in input-index order, as one string.",
        show_default=False)] = None,
    vocab_file: Annotated[Optional[Path], typer.Option(
        "--vocab-file", help="For a PyTorch state_dict: a file of its characters in index order (as inspect reads "
        "it).", show_default=False)] = None,
) -> None:
    """Sample a saved language model: each character is drawn from the model's distribution for the next one,
    then read back in.

    The characters reach stdout as they are made. The same --seed gives the same text; --temperature 0 is the
    greedy choice (the likeliest character every time). --prime is not repeated in the output.

    Examples:

        rnn-tutor sample brackets.npz --length 300 --temperature 0.8

        rnn-tutor sample code.npz --prime "def " --seed 1 --format jsonl | jq -c '{char, probability}'
    """
    from rnn_tutor.cli.train import one_blas_thread
    from rnn_tutor.core import lm, statedict
    from rnn_tutor.errors import RnnTutorError
    from rnn_tutor.render import lm as view

    saved = statedict.load(model, vocab, vocab_file)
    if saved.model.task.name != "text":
        raise RnnTutorError(f"{model} holds a model for the {saved.model.task.name} task, not a language model",
                            "train one with: rnn-tutor train --task text --save model.npz")
    if "head.weight" not in saved.model.params:
        raise RnnTutorError(f"{model} has no head (the nn.Linear(H, V) that gives the next character's logits, "
                            "saved as fc.weight/fc.bias, head.*, decoder.*, ...), so it cannot write",
                            "save the state_dict of the whole model, its Linear head included")
    temperature = lm.check_temperature(temperature, getattr(temperature, "text", None))
    writer = view.SampleWriter(fmt.value)
    last = ""
    try:
        with one_blas_thread():
            for chars in lm.sample(saved.model, length, temperature=temperature, prime=prime, seed=seed):
                writer.write(chars[0])
                last = chars[0].char
    except KeyboardInterrupt:
        if fmt.value == "text" and last not in ("", "\n"):  # the shell's prompt on a line of its own
            sys.stdout.write("\n")
            sys.stdout.flush()
        raise
    writer.chars_end_with_newline = last == "\n"
    writer.close({"model": str(model), "length": length, "temperature": temperature, "prime": prime, "seed": seed})

