"""``rnn-tutor order``: the same bag of words, different hidden states."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import Activation, FormatOpt, OutputFormat, SeedOpt


@app.command("order")
def order(
    sentence_a: Annotated[Optional[str], typer.Argument(
        metavar="SENTENCE_A", help="The first sentence.", show_default="The dog bit the man")] = None,
    sentence_b: Annotated[Optional[str], typer.Argument(
        metavar="SENTENCE_B", help="The second sentence.", show_default="The man bit the dog")] = None,
    weight: Annotated[float, typer.Option("--weight", "-w", help="Recurrence weight w.")] = 0.5,
    input_weight: Annotated[float, typer.Option("--input-weight", "-u", help="Input weight u.")] = 0.5,
    activation: Annotated[Activation, typer.Option(
        "--activation", "-a", help="f in h_t = f(w*h_{t-1} + u*x_t).", case_sensitive=False)] = Activation.linear,
    seed: SeedOpt = 0,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Same words, different order: two sentences through one RNN.

    One shared vocabulary numbers the words, so a bag of words sees the same
    input twice; the recurrence does not. A small seeded tanh RNN over
    one-hot words is shown beside the scalar one.

    Examples:

        rnn-tutor order "The dog bit the man" "The man bit the dog"

        rnn-tutor order "a b c" "c b a" -w 0.9 -f json
    """
    from rnn_tutor.core.demos import ORDER_DEFAULTS, order_demo
    from rnn_tutor.errors import BadValueError
    from rnn_tutor.render.demos import emit_order

    if sentence_a is None:
        sentence_a, sentence_b = ORDER_DEFAULTS
    elif sentence_b is None:
        raise BadValueError("SENTENCE_B", f"missing, got only SENTENCE_A {sentence_a!r}",
                            "give two sentences to compare, or none for the lesson's pair")

    result = order_demo(sentence_a, sentence_b, weight=weight, input_weight=input_weight,
                        activation=activation.value, seed=seed)
    emit_order(result, fmt.value)
