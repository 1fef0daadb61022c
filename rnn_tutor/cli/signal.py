"""``rnn-tutor signal``: readings of a built-in signal, one per line, to pipe into ``predict --stream``."""

from __future__ import annotations

import enum
import sys
from typing import Annotated

import typer

from rnn_tutor.cli.app import app
from rnn_tutor.cli.options import SeedOpt, StreamFormat, StreamFormatOpt

MAX_LENGTH = 100_000_000
MAX_JSON = 1_000_000  # --format json holds every reading until the end
MIN_RATE = 1 / 86400  # one reading a day: the slowest --rate (a longer wait would overflow time.sleep)
CHUNK = 1024  # readings generated at a time (as fast as the pipe takes them)


class SignalName(str, enum.Enum):
    knocks = "knocks"
    sines = "sines"
    regimes = "regimes"


@app.command("signal")
def signal(
    name: Annotated[SignalName, typer.Argument(
        help="knocks: a humming machine that knocks every 16 readings; sines: two sines and noise; regimes: "
        "knocks that point up or down, the machine changing mode now and then.", case_sensitive=False)]
    = SignalName.knocks,
    length: Annotated[int, typer.Option("--length", "-n", help="Readings to write (0: no end; Ctrl-C stops).")]
    = 1000,
    rate: Annotated[float, typer.Option(
        "--rate", help="Readings per second, as a live sensor would send them, from 1/86400 (one a day) to "
        "1000000 (0: as fast as they are read).")] = 0.0,
    glitches: Annotated[float, typer.Option(
        "--glitches", help="Share of readings (0 to 1) hit by a glitch: a jump of +-1 the machine never makes, for "
        "predict --stream --anomaly to find.")] = 0.0,
    seed: SeedOpt = 0,
    fmt: StreamFormatOpt = StreamFormat.table,
) -> None:
    """Write readings of a generated signal, the ones train --task forecast learns (see the README).

    The table is one reading per line (rounded to 6 significant digits), so it pipes into predict --stream;
    csv has t,reading rows and jsonl one object per reading, both with every digit, and predict --stream reads
    them too (the reading column or field, never t); json is one object at the end. The same --seed gives the same readings (a stream of its
    own, apart from the training and held-out readings).

    Examples:

        rnn-tutor signal knocks --length 200 | rnn-tutor predict knocks.npz --stream

        rnn-tutor signal -n 0 --rate 10 --glitches 0.02 > readings.txt

        rnn-tutor signal sines --length 5 --format csv
    """
    import math
    import time

    import numpy as np

    from rnn_tutor.core import signals
    from rnn_tutor.errors import BadValueError
    from rnn_tutor.render.forecast import ReadingWriter

    if not 0 <= length <= MAX_LENGTH:
        raise BadValueError("--length", f"must be from 0 (no end) to {MAX_LENGTH:,}, got {length}")
    if not (math.isfinite(rate) and (rate == 0 or MIN_RATE <= rate <= 1e6)):
        raise BadValueError("--rate", f"must be 0 (no wait) or readings per second from 1/86400 (one a day) to "
                                      f"1,000,000, got {rate:g}")
    if not (math.isfinite(glitches) and 0 <= glitches <= 1):
        raise BadValueError("--glitches", f"must be a share from 0 to 1, got {glitches}")
    if fmt.value == "json" and not 0 < length <= MAX_JSON:
        raise BadValueError("--format", f"json holds every reading until the end: give --length 1 to {MAX_JSON:,}, "
                            "or use table, csv or jsonl for a longer stream")
    source = signals.SignalStream(name.value, np.random.default_rng([seed, 5]))
    glitch_rng = np.random.default_rng([seed, 6])
    out = ReadingWriter(fmt.value, name.value, seed)
    chunk = 1 if rate else CHUNK
    done, start = 0, time.monotonic()
    interrupted = False
    try:
        while length == 0 or done < length:
            n = chunk if length == 0 else min(chunk, length - done)
            values = source.take(n)
            if glitches:
                hit = glitch_rng.random(n) < glitches
                values = values + hit * np.where(glitch_rng.random(n) < 0.5, -1.0, 1.0)
            if rate:  # the next reading is due at start + done / rate
                wait = start + done / rate - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            out.write(values)
            done += n
    except KeyboardInterrupt:
        interrupted = True
    out.close()
    if interrupted:
        sys.stdout.flush()
        raise typer.Exit(130)
