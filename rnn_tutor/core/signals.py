"""Signals for the forecasting task, the two baselines a forecast is measured against, and a user's own readings.

Generated signals (every random thing from a numpy ``Generator``; readings are unitless):

- ``knocks`` (the default): a machine that hums and knocks. The hum is 0.2 sin(2 pi t / 6 + phi); every
  KNOCK_PERIOD = 16 readings a knock adds 1, 0.5, 0.25, 0.125 to four readings in a row; Gaussian noise of sd 0.05
  on every reading. Between knocks the last AR_ORDER = 8 readings show only hum and noise, so a predictor that
  sees 8 readings cannot tell when the next knock comes: it has to count, which needs a memory.
- ``sines``: sin(2 pi t / 20 + phi_1) + 0.5 sin(2 pi t / 7 + phi_2) plus noise of sd 0.05. A pure sine obeys the
  two-term linear recurrence x_t = 2 cos(w) x_(t-1) - x_(t-2), so a sum of two obeys a four-term one: a linear
  predictor on the last 8 readings is already close to the best possible.
- ``regimes``: the knocking machine with two modes: its knocks point up (+1, +0.5, ...) in one and down in the
  other, and at each knock it changes mode with probability 1/8 (about every 128 readings). At the next knock
  the current mode was last shown 16 readings back, beyond any 8-reading window: it has to be remembered.

Baselines, on the same held-out stretch and the same readings:

- persistence: the next reading equals this one;
- AR(k), k = AR_ORDER = 8: the next reading as a constant plus a weighted sum of the last 8, the weights fitted
  by least squares (``numpy.linalg.lstsq``) on the training readings. k = 8 is half the knock period: long
  enough for the hum and for a sum of two sines, too short to see the previous knock.

A user's readings (``--signal FILE``): one number per line, or one column of a CSV file (``read_readings``).
Every signal is normalised by the mean and standard deviation of its training readings before the model sees
it; the two numbers are saved in the model and undone on every prediction.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field

import numpy as np

from rnn_tutor.core.numbers import plain_float
from rnn_tutor.core.numfmt import percent
from rnn_tutor.errors import BadValueError, RnnTutorError

SIGNALS = ("knocks", "sines", "regimes")
DEFAULT_SIGNAL = "knocks"
KNOCK_PERIOD = 16  # readings between knocks
KNOCK_SHAPE = (1.0, 0.5, 0.25, 0.125)  # what a knock adds to four readings in a row
HUM = (0.2, 6.0)  # amplitude, period of the machine's hum
NOISE = 0.05  # standard deviation of the noise on every reading
SINES = ((1.0, 20.0), (0.5, 7.0))  # (amplitude, period) of each sine
REGIME_SWITCH = 1 / 8  # probability that the machine changes mode at a knock
AR_ORDER = 8  # k of the AR(k) baseline
AR_FIT_READINGS = 20_000  # generated training readings the AR baseline and the normalisation come from
DEFAULT_HELDOUT = 4_096  # held-out readings of a generated signal
MAX_READINGS = 10_000_000  # readings in a user's file
MAX_FILE_BYTES = 256 * 2**20
MAX_BAD_SHARE = 0.1  # a file whose rows are more than 10% non-numbers is refused, not silently thinned


def check_signal_name(name: str, option: str = "--signal") -> str:
    key = str(name).strip().lower()
    if key not in SIGNALS:
        raise BadValueError(option, f"unknown signal {name!r}; choose one of {', '.join(SIGNALS)} (or a file)")
    return key


# ---------------------------------------------------------------------------------------------- generators


class SignalStream:
    """An endless generated signal, read in pieces: ``take(n)`` gives the next n readings (n,).

    The same ``rng`` gives the same readings however the stream is cut into pieces: every piece is computed
    from the reading count t and the machine's state (its phases, and for ``regimes`` the current mode)."""

    def __init__(self, name: str, rng: np.random.Generator):
        self.name = check_signal_name(name)
        self.rng, self.mode_rng = rng.spawn(2)  # noise / mode changes: apart, so any cut gives the same readings
        self.t = 0
        self.phases = self.rng.uniform(0.0, 2 * np.pi, size=2)  # hum / the two sines
        self.knock_at = int(self.rng.integers(0, KNOCK_PERIOD))  # the first knock's reading
        self.mode = 1.0 if self.mode_rng.random() < 0.5 else -1.0  # regimes: +1 up, -1 down
        self.recent: dict[int, float] = {}  # knocks still ringing: start -> sign

    def take(self, n: int) -> np.ndarray:
        n = int(n)
        t = self.t + np.arange(n, dtype=np.float64)  # (n,) reading numbers
        if self.name == "sines":
            out = sum(a * np.sin(2 * np.pi * t / p + ph) for (a, p), ph in zip(SINES, self.phases))
        else:
            out = HUM[0] * np.sin(2 * np.pi * t / HUM[1] + self.phases[0])
            out = out + self._knocks(n)
        out = out + self.rng.normal(0.0, NOISE, size=n)
        self.t += n
        return out

    def _knocks(self, n: int) -> np.ndarray:
        """What the knocks add to readings t .. t+n-1: KNOCK_SHAPE from every knock, times its mode."""
        out = np.zeros(n)
        P, L = KNOCK_PERIOD, len(KNOCK_SHAPE)
        m = max(0, -(-(self.t - L + 1 - self.knock_at) // P))  # the first knock whose shape reaches reading t
        for k in range(self.knock_at + m * P, self.t + n, P):
            if k >= self.t:  # a new knock: for regimes the machine may change mode first
                if self.name == "regimes" and self.mode_rng.random() < REGIME_SWITCH:
                    self.mode = -self.mode
                self.recent[k] = self.mode if self.name == "regimes" else 1.0
            lo, hi = max(k, self.t), min(k + L, self.t + n)
            out[lo - self.t : hi - self.t] += self.recent[k] * np.asarray(KNOCK_SHAPE[lo - k : hi - k])
        # keep only the knocks that still reach into the next piece
        self.recent = {k: s for k, s in self.recent.items() if k + L > self.t + n}
        return out


def generate(name: str, rng: np.random.Generator, length: int) -> np.ndarray:
    """``length`` readings (length,) of a fresh run of the machine (random phases) from ``rng``."""
    return SignalStream(name, rng).take(length)


def generate_batch(name: str, rng: np.random.Generator, batch: int, length: int) -> np.ndarray:
    """``batch`` independent fresh runs (B, length)."""
    return np.stack([SignalStream(name, rng).take(length) for _ in range(int(batch))])


# ---------------------------------------------------------------------------------------------- baselines


def lag_matrix(x: np.ndarray, k: int) -> np.ndarray:
    """Rows [x_(t-1), ..., x_(t-k), 1] for t = k .. n-1: (n - k, k + 1)."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    cols = [x[k - j : n - j] for j in range(1, k + 1)]  # x_(t-j) for t = k .. n-1
    return np.column_stack(cols + [np.ones(n - k)])


def fit_ar(x: np.ndarray, k: int = AR_ORDER) -> np.ndarray:
    """AR(k) weights [a_1 .. a_k, c] minimising sum_t (x_t - c - sum_j a_j x_(t-j))^2 (numpy.linalg.lstsq)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 2 * (k + 1):
        raise RnnTutorError(f"too few readings ({x.shape[0]}) to fit AR({k})", "give a longer signal")
    coef, *_ = np.linalg.lstsq(lag_matrix(x, k), x[k:], rcond=None)
    return coef


def ar_predictions(x: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """AR predictions of x_t for t = k .. n-1 from the readings before each: (n - k,)."""
    k = coef.shape[0] - 1
    return lag_matrix(x, k) @ coef


# ---------------------------------------------------------------------------------------------- a user's file


@dataclass(frozen=True)
class Readings:
    values: np.ndarray  # (n,) float64
    source: str  # what the readings are ("temps.csv, column 'temp'")
    skipped: int = 0  # rows that were not finite numbers
    skipped_lines: tuple[int, ...] = ()  # the first few of them (1-based line numbers)


def _number(text: str, decimal_comma: bool = False) -> float | None:
    s = text.strip()
    if decimal_comma and s.count(",") == 1 and "." not in s:
        s = s.replace(",", ".")
    try:
        v = plain_float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _read_text(path) -> str:
    """The file's text, through ``fileio`` (regular files only, at most MAX_FILE_BYTES however large it claims
    to be, UTF-8 with the line of a bad byte); a name that is neither a signal nor a file says both."""
    from rnn_tutor.core import fileio

    p = str(path)
    if not os.path.lexists(p):
        raise BadValueError("--signal", f"{p} is neither a signal ({', '.join(SIGNALS)}) nor an existing file")
    text = fileio.read_text(p, limit=MAX_FILE_BYTES, what="file of readings", option="--signal", pipes_ok=False,
                            too_large_hint="give a shorter stretch")
    if "\x00" in text[:4096]:
        raise BadValueError("--signal", f"{p} is a binary file, not text with one number per line or a CSV")
    return text


def _delimiter(lines: list[str]) -> str | None:
    """The CSV delimiter: the one every one of the first lines has the same number of (a decimal comma in a
    semicolon file has a comma in some cells only), else one that at least half of them have."""
    head = [ln for ln in lines[:20] if ln.strip()]
    if not head:
        return None
    for d in (",", ";", "\t"):
        counts = {ln.count(d) for ln in head}
        if len(counts) == 1 and counts.pop() >= 1:
            return d
    for d in (";", "\t", ","):
        if sum(d in ln for ln in head) >= max(1, len(head) // 2):
            return d
    return None


def read_readings(path, column: str | None = None) -> Readings:
    """Readings from a text file: one number per line, or one column of a CSV (comma, semicolon or tab).

    A header row is recognised by a cell that is not a number. ``column`` is a header name or a 1-based number;
    without it a file with one numeric column uses that one. Rows whose cell is not a finite number (blank,
    ``NA``, ``nan``) are skipped and counted; more than a tenth of them is refused."""
    name = os.path.basename(str(path)) or str(path)
    text = _read_text(path)
    lines = text.splitlines()
    delim = _delimiter(lines)
    if delim is None:
        if column is not None:
            raise BadValueError("--column", f"{name} has one number per line, not columns; drop --column")
        cells = [(i, ln) for i, ln in enumerate(lines, 1) if ln.strip()]
        if cells and _number(cells[0][1]) is None and len(cells) > 1:
            cells = cells[1:]  # a header line
        return _collect(cells, name, name, False)
    rows = [(i, r) for i, r in enumerate(csv.reader(io.StringIO(text), delimiter=delim), 1) if any(c.strip() for c in r)]
    if not rows:
        raise BadValueError("--signal", f"{name} holds no readings")
    dec = delim == ";"
    header = None
    if any(_number(c, dec) is None for c in rows[0][1]):
        header = [c.strip() for c in rows[0][1]]
        rows = rows[1:]
    width = max((len(r) for _, r in rows), default=0)
    if not rows or width == 0:
        raise BadValueError("--signal", f"{name} has a header but no readings")
    names = header if header else [str(j + 1) for j in range(width)]
    if column is not None:
        col = _pick_column(column, header, width, name)
    else:
        numeric = [j for j in range(width)
                   if sum(_number(r[j], dec) is not None for _, r in rows if j < len(r)) >= 0.9 * len(rows)]
        if len(numeric) == 1:
            col = numeric[0]
        elif not numeric:
            raise BadValueError("--signal", f"{name} has no column of numbers")
        else:
            listed = ", ".join(repr(names[j]) if header else str(j + 1) for j in numeric)
            raise BadValueError("--column", f"{name} has {len(numeric)} columns of numbers ({listed}); "
                                "choose one with --column NAME or --column NUMBER")
    label = f"{name}, column {names[col]!r}" if header else f"{name}, column {col + 1}"
    cells = [(i, r[col] if col < len(r) else "") for i, r in rows]
    return _collect(cells, name, label, dec)


def _pick_column(column: str, header, width: int, name: str) -> int:
    key = str(column).strip()
    if header:
        folded = [h.casefold() for h in header]
        if key.casefold() in folded:
            return folded.index(key.casefold())
    if key.isascii() and key.isdigit() and 1 <= int(key) <= width:  # not "²": isdigit, but no int
        return int(key) - 1
    known = ", ".join(repr(h) for h in header) if header else f"1 to {width}"
    raise BadValueError("--column", f"{name} has no column {column!r}; choose one of {known}")


def _collect(cells, name: str, label: str, decimal_comma: bool) -> Readings:
    values, bad = [], []
    for lineno, cell in cells:
        v = _number(cell, decimal_comma)
        if v is None:
            bad.append(lineno)
        else:
            values.append(v)
        if len(values) > MAX_READINGS:
            raise BadValueError("--signal", f"{name} has more than {MAX_READINGS:,} readings; give a shorter stretch")
    if not values:
        raise BadValueError("--signal", f"{name} holds no numbers" + (f" (line {bad[0]} is not one)" if bad else ""))
    if len(bad) > MAX_BAD_SHARE * (len(values) + len(bad)):
        raise BadValueError("--signal", f"{name}: {len(bad):,} of {len(values) + len(bad):,} rows are not numbers "
                            f"(first at line {bad[0]}); clean the file or choose another --column")
    return Readings(np.array(values, dtype=np.float64), label, len(bad), tuple(bad[:5]))


# ---------------------------------------------------------------------------------------------- prepared signal


MAX_SCALE = 1e150  # the largest |reading| a file may hold: mean, sd and squared errors stay finite, and the
# saved model's norm_mean / norm_std fit its file's checked range (savedmodel.FORECAST_META)


def scale_of(x: np.ndarray) -> tuple[float, float]:
    """(mean, standard deviation) of readings, computed without overflow for any finite values."""
    x = np.asarray(x, dtype=np.float64)
    m = float(np.max(np.abs(x)))
    if m == 0.0:
        return 0.0, 0.0
    y = x / m  # in [-1, 1]: squares cannot overflow
    return float(np.mean(y) * m), float(np.std(y) * m)


@dataclass(frozen=True)
class Signal:
    """A signal ready for training: where batches come from, the held-out stretch, the scale and the AR fit.

    All arrays are in the signal's own units; ``mean`` and ``std`` map them to what the model sees,
    z = (x - mean) / std."""

    name: str  # knocks | sines | regimes | file
    source: str  # what to call it in a sentence
    mean: float
    std: float
    heldout: np.ndarray  # (N,) the held-out stretch
    ar: np.ndarray  # AR(k) weights in normalised units [a_1 .. a_k, c]
    train: np.ndarray | None = field(default=None, repr=False)  # a file's training readings (normalised)
    skipped: int = 0
    skipped_lines: tuple[int, ...] = ()

    @property
    def generated(self) -> bool:
        return self.name in SIGNALS

    def normalise(self, x):
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.std

    def batch(self, rng: np.random.Generator, batch: int, length: int) -> tuple[np.ndarray, np.ndarray]:
        """Training pairs: x (B, T, 1) normalised readings, y (B, T, 1) the reading after each."""
        if self.generated:
            z = self.normalise(generate_batch(self.name, rng, batch, length + 1))  # (B, T+1)
        else:
            n = self.train.shape[0]
            starts = rng.integers(0, n - length, size=batch)  # windows of T+1 readings
            z = self.train[starts[:, None] + np.arange(length + 1)]
        return z[:, :-1, None], z[:, 1:, None]


def prepare(signal: str | None, seed: int, heldout: int | None, length: int, column: str | None = None,
            heldout_rng: np.random.Generator | None = None) -> Signal:
    """Make a signal ready for training at sequence length ``length``: generated (knocks, sines, regimes) from
    ``seed``, or the readings of a file, whose last ``heldout`` readings (default: a fifth) are held out."""
    k = AR_ORDER
    name = DEFAULT_SIGNAL if signal is None else str(signal)
    if name.strip().lower() in SIGNALS:
        if column is not None:
            raise BadValueError("--column", "is for a --signal FILE; a generated signal has one column")
        key = check_signal_name(name)
        fit = generate(key, np.random.default_rng([seed, 4]), AR_FIT_READINGS)
        mean, std = scale_of(fit)
        n_held = DEFAULT_HELDOUT if heldout is None else int(heldout)
        rng = heldout_rng if heldout_rng is not None else np.random.default_rng([seed, 2])
        held = generate(key, rng, n_held)
        coef = fit_ar((fit - mean) / std, k)
        return Signal(key, f"the {key} signal", mean, std, held, coef)
    r = read_readings(name, column)
    n = r.values.shape[0]
    big = float(np.max(np.abs(r.values)))
    if big > MAX_SCALE:
        raise BadValueError("--signal", f"{r.source} has readings as large as {big:.3g}; rnn-tutor forecasts "
                            f"readings up to {MAX_SCALE:.0e} in size (so that their squares, the errors it "
                            "reports, stay finite, and a saved model loads again)",
                            "rescale the column, for example into other units, and train again")
    n_held = max(k + 2, n // 5) if heldout is None else int(heldout)
    n_train = n - n_held
    if n_held < k + 2 or n_train < max(length + 1, 2 * (k + 1)):
        need = max(length + 1, 2 * (k + 1)) + max(k + 2, n_held)
        raise BadValueError("--signal", f"{r.source} has {n:,} readings; training at --length {length} with "
                            f"{n_held:,} held out needs at least {need:,}",
                            "use a shorter --length or a smaller --eval-size, or give more readings")
    train_x = r.values[:n_train]
    mean, std = scale_of(train_x)
    if not std > 0 or not math.isfinite(std):
        raise BadValueError("--signal", f"{r.source}: the training readings never change (all {train_x[0]:g}); "
                            "there is nothing to forecast")
    z = (train_x - mean) / std
    return Signal("file", r.source, mean, std, r.values[n_train:], fit_ar(z, k), z, r.skipped, r.skipped_lines)


# ---------------------------------------------------------------------------------------------- the comparison


@dataclass(frozen=True)
class ForecastReport:
    """Held-out errors (mean squared, in the signal's units) of the model and the baselines, on the same
    readings: x_t for t = k .. N-1 of the held-out stretch (AR(k) needs k readings before the first)."""

    cell: str
    signal: str
    source: str
    readings: int  # scored readings
    ar_order: int
    mse: float  # the model
    ar_mse: float
    persistence_mse: float
    mean_mse: float  # always guessing the training mean
    error_std: float  # standard deviation of the model's errors (what --anomaly K multiplies)
    mean: float  # the normalisation saved in the model
    std: float
    sentence: str
    # a figure above went past a 64-bit float (squared errors of readings near 1e154 and up): JSON has null for
    # it, and this flag says why, as every command's "overflow" does
    overflow: bool = False

    @property
    def vs_ar(self) -> float:
        return self.mse / self.ar_mse if self.ar_mse > 0 else math.inf

    @property
    def vs_persistence(self) -> float:
        return self.mse / self.persistence_mse if self.persistence_mse > 0 else math.inf


def report(sig: Signal, predictions: np.ndarray, cell: str) -> ForecastReport:
    """Score the model's normalised predictions (N-1,) of readings 1 .. N-1 of the held-out stretch, next to
    persistence and AR(k), on readings k .. N-1."""
    k = AR_ORDER
    x = sig.heldout
    z = sig.normalise(x)
    target = x[k:]  # (N-k,)
    model = np.asarray(predictions, dtype=np.float64)[k - 1 :] * sig.std + sig.mean
    ar = ar_predictions(z, sig.ar) * sig.std + sig.mean
    persistence = x[k - 1 : -1]
    with np.errstate(over="ignore", invalid="ignore"):
        err = target - model
        mse = float(np.mean(err * err))
        ar_mse = float(np.mean((target - ar) ** 2))
        pers_mse = float(np.mean((target - persistence) ** 2))
        mean_mse = float(np.mean((target - sig.mean) ** 2))
        err_std = float(np.std(err))
    figures = (mse, ar_mse, pers_mse, mean_mse, err_std, sig.mean, sig.std)
    rep = ForecastReport(cell, sig.name, sig.source, int(target.shape[0]), k, mse, ar_mse, pers_mse, mean_mse,
                         err_std, sig.mean, sig.std, "", not all(math.isfinite(v) for v in figures))
    return ForecastReport(**{**rep.__dict__, "sentence": memory_sentence(rep)})


def _share(r: float) -> str:
    return percent(r, 0) if math.isfinite(r) else "-"


def explained_share(mse: float, mean_mse: float) -> float | None:
    """1 - mse / mean_mse: the share of the held-out readings' variance (about the training mean) a predictor
    explains. Negative when it does worse than always guessing the mean (persistence on a spiky signal)."""
    return 1.0 - mse / mean_mse if mean_mse > 0 and math.isfinite(mse) else None


def explained_text(mse: float, mean_mse: float) -> str:
    """The share as tables and sentences print it ("33.2%", "-18.0%"), so the two always agree."""
    share = explained_share(mse, mean_mse)
    return "-" if share is None else percent(share, 1)


BOUGHT_A_LOT = 0.05  # memory "bought a lot" when the model explains 5% more of the variance than AR(k)


def memory_sentence(r: ForecastReport) -> str:
    """What the memory bought on this signal, in a sentence or two: measured by how much more of the held-out
    readings' variance the model explains than AR(k) does (numbers as the table shows them)."""
    k = r.ar_order
    if r.overflow or not all(math.isfinite(v) for v in (r.mse, r.ar_mse, r.mean_mse)):
        return ("The squared errors overflow a 64-bit float (about 1.8e308) in the signal's units: no comparison "
                "can be made (divide the readings by a power of ten and train again).")
    if r.mean_mse <= 0:
        return "The held-out readings never change: no comparison can be made."
    gain = (r.ar_mse - r.mse) / r.mean_mse  # share of the variance explained beyond AR(k)
    ratio = _share(r.vs_ar)
    pers = f" and {_share(r.vs_persistence)} of persistence's" if math.isfinite(r.vs_persistence) else ""
    if gain >= BOUGHT_A_LOT:
        text = (f"Memory bought a lot: the {r.cell}'s held-out error is {ratio} of AR({k})'s{pers}; it explains "
                f"{explained_text(r.mse, r.mean_mse)} of the readings' variance, AR({k}) {explained_text(r.ar_mse, r.mean_mse)}"
                f": its state carries what the last {k} readings cannot show")
        if r.signal in ("knocks", "regimes"):
            text += (f", when the next knock is due ({KNOCK_PERIOD} readings after the last"
                     + (") and which way the machine knocks now" if r.signal == "regimes" else ")"))
        return text + "."
    if gain >= -0.01:
        text = (f"Memory bought little here: AR({k}) already explains {explained_text(r.ar_mse, r.mean_mse)} of the "
                f"readings' variance and the {r.cell} {explained_text(r.mse, r.mean_mse)}, so a linear predictor on the "
                f"last {k} readings is enough")
        if r.signal == "sines":
            text += (": a pure sine of ω radians per reading obeys x_t = 2 cos(ω) x_(t-1) - x_(t-2), and a sum "
                     "of two needs only four terms")
        if r.mse < r.ar_mse:
            text += f" (the {r.cell}'s error is {ratio} of AR({k})'s, a gain small next to the signal's variance)"
        return text + "."
    return (f"AR({k}) beats the {r.cell} here: it explains {explained_text(r.ar_mse, r.mean_mse)} of the readings' "
            f"variance, the {r.cell} {explained_text(r.mse, r.mean_mse)}; on this signal the memory bought nothing yet "
            "(train longer, or use the linear model).")


def baseline_errors(name: str, seed: int = 0) -> tuple[float, float, float]:
    """(persistence, AR(k), the mean) held-out mean squared errors of a generated signal, as ``train --task
    forecast --signal NAME --seed SEED`` reports them beside its model (the same stretch and AR fit)."""
    sig = prepare(name, seed, None, 100)
    x = sig.heldout
    k = AR_ORDER
    ar = ar_predictions(sig.normalise(x), sig.ar) * sig.std + sig.mean
    return (float(np.mean((x[k:] - x[k - 1 : -1]) ** 2)), float(np.mean((x[k:] - ar) ** 2)),
            float(np.mean((x[k:] - sig.mean) ** 2)))
