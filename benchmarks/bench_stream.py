"""Speed and memory of ``predict --stream`` on a forecast LSTM (H = 32), beside PyTorch one step at a time.

    python benchmarks/bench_stream.py [--repeats 15] [--seconds 0.2] [--pipe 200000] [--memory 1000000]
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_stream.py     # what a user's machine runs

1. Inside the process, per reading, float32 and one thread, runs interleaved in rounds (ours, torch, ours, ...)
   so that load from other processes hits every side alike; medians over the rounds, each ratio the median of
   the ratios within a round:
   - ``stepper``: ``stream.Stepper.step`` (the cell and the readout) on one reading;
   - ``stream``: ``stream.ForecastStream.feed`` (normalising, stepping, the error, the record), float64 as
     ``predict --stream`` runs it;
   - ``torch LSTM``: ``nn.LSTM(1, 32)`` called on one step with the state it returned, then ``nn.Linear(32, 1)``,
     in ``torch.inference_mode()``, the input written into a preallocated tensor (its fastest form here);
   - ``torch LSTMCell``: the same with ``nn.LSTMCell``, PyTorch's one-step cell (faster than nn.LSTM per step).
2. End to end through a pipe, the real command (``rnn-tutor predict MODEL --stream --format jsonl`` in a
   subprocess): latency = write one reading, wait for its answer, write the next (median and 90th percentile of
   the round trips); throughput = readings piped in as fast as the command takes them (wall time, and the
   command's CPU time from its resource usage, since the machine may be shared).
3. Memory: the command's resident set (VmRSS from /proc) after 1,000 readings and after ``--memory`` readings
   (1,000,000 by default), each read once the command has answered exactly that many.

torch==2.13.0 is needed for part 1 only (it is not a dependency of rnn-tutor); without it that part is skipped.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_lstm_vs_torch import fix_malloc, ratio  # noqa: E402

from rnn_tutor.core import stream, train  # noqa: E402

H = 32
ROOT = Path(__file__).resolve().parent.parent


def make_model(folder: Path) -> Path:
    """A forecast LSTM with H = 32, trained for a few steps (the speed does not depend on how well)."""
    r = train.train(train.TrainConfig(task="forecast", hidden=H, steps=20, eval_every=20, eval_size=64))
    return train.save_model(folder / "forecast-h32.npz", r)


def in_process(path: Path, repeats: int, seconds: float) -> None:
    saved = train.load_model(path)
    readings = np.random.default_rng(0).normal(size=4096)
    z32 = readings.astype(np.float32)
    sides = {}
    stepper = stream.Stepper(saved.model, np.float32)

    def ours(n):
        step = stepper.step
        for i in range(n):
            float(step(z32[i & 4095])[0])

    feeder = stream.ForecastStream(saved)

    def feed(n):
        f = feeder.feed
        for i in range(n):
            f(float(readings[i & 4095]))

    sides["stepper"], sides["stream"] = ours, feed
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: the torch side is skipped (pip install torch==2.13.0, benchmark only)")
    if torch is not None:
        torch.set_num_threads(1)
        lstm, cell, lin = torch.nn.LSTM(1, H, batch_first=True), torch.nn.LSTMCell(1, H), torch.nn.Linear(H, 1)
        ins = [float(v) for v in z32]

        def torch_lstm(n):
            inp, state = torch.zeros(1, 1, 1), None
            with torch.inference_mode():
                for i in range(n):
                    inp.fill_(ins[i & 4095])
                    out, state = lstm(inp, state)
                    lin(out[0, 0]).item()

        def torch_cell(n):
            inp, h, c = torch.zeros(1, 1), torch.zeros(1, H), torch.zeros(1, H)
            with torch.inference_mode():
                for i in range(n):
                    inp.fill_(ins[i & 4095])
                    h, c = cell(inp, (h, c))
                    lin(h).item()

        sides["torch LSTM"], sides["torch LSTMCell"] = torch_lstm, torch_cell
    counts = {}
    for name, fn in sides.items():
        t0 = time.perf_counter()
        fn(200)
        counts[name] = max(200, int(seconds * 200 / (time.perf_counter() - t0)))
        fn(counts[name])  # warm up for one run's length
    samples: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeats):
        for name, fn in sides.items():
            n = counts[name]
            t0 = time.perf_counter()
            fn(n)
            samples[name].append(n / (time.perf_counter() - t0))
    print(f"\n1. inside the process: readings per second (medians of {repeats} interleaved rounds of ~{seconds} s)")
    print(f"{'':16} {'readings/s':>11} {'us/reading':>11} {'stepper/this':>13}")
    for name, s in samples.items():
        med = statistics.median(s)
        vs = "" if name == "stepper" else f"{ratio(samples['stepper'], s):>12.2f}x"
        print(f"{name:16} {med:>11,.0f} {1e6 / med:>11.2f} {vs:>13}")


def _spawn(path: Path):
    cmd = [sys.executable, "-m", "rnn_tutor", "predict", str(path), "--stream", "--format", "jsonl"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    return proc


def _cpu_of(proc) -> float:
    """User + system CPU seconds of a finished child (os.wait4 gives its own resource usage)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def latency(path: Path, n: int = 2000) -> None:
    proc = _spawn(path)
    out = proc.stdout
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        proc.stdin.write(f"{np.sin(i / 3):.6f}\n".encode())
        proc.stdin.flush()
        line = out.readline()
        times.append(time.perf_counter() - t0)
        assert line, "the command ended early"
    proc.stdin.close()
    out.read()
    _cpu_of(proc)
    times = sorted(times[100:])  # after start-up
    p50, p90 = statistics.median(times), times[int(0.9 * len(times))]
    print(f"\n2. end to end through a pipe (python -m rnn_tutor predict MODEL --stream --format jsonl)")
    print(f"   latency, write one reading and wait for its answer: median {p50 * 1e6:.0f} us, 90th percentile "
          f"{p90 * 1e6:.0f} us over {len(times):,} round trips")


def throughput(path: Path, n: int) -> None:
    data = "".join(f"{v:.6f}\n" for v in np.random.default_rng(1).normal(size=n)).encode()
    proc = _spawn(path)
    counted = []

    def reader():
        counted.append(sum(1 for _ in proc.stdout))

    th = threading.Thread(target=reader)
    th.start()
    t0 = time.perf_counter()
    proc.stdin.write(data)
    proc.stdin.close()
    th.join()
    wall = time.perf_counter() - t0
    cpu = _cpu_of(proc)
    assert counted[0] == n, counted
    print(f"   throughput, {n:,} readings piped in: {n / wall:,.0f} readings/s wall ({wall:.1f} s), "
          f"{n / cpu:,.0f} per CPU second of the command ({cpu:.1f} s CPU, start-up included)")


def _rss_kb(pid: int) -> tuple[int, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def memory(path: Path, total: int) -> None:
    proc = _spawn(path)
    seen = [0]
    lock = threading.Condition()

    def reader():
        for _ in proc.stdout:
            with lock:
                seen[0] += 1
                lock.notify_all()

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    block = "".join(f"{v:.6f}\n" for v in np.random.default_rng(2).normal(size=10_000)).encode()
    marks = {}
    sent = 0
    for mark in (1_000, total):
        while sent < mark:
            k = min(10_000, mark - sent)
            proc.stdin.write(block if k == 10_000 else _lines(block, k))
            sent += k
        proc.stdin.flush()
        with lock:
            lock.wait_for(lambda: seen[0] >= mark)
        marks[mark] = _rss_kb(proc.pid)
    proc.stdin.close()
    th.join()
    _cpu_of(proc)
    (r1, _), (r2, hwm) = marks[1_000], marks[total]
    print(f"\n3. memory of the command (VmRSS): {r1 / 1024:.2f} MB after 1,000 readings, {r2 / 1024:.2f} MB after "
          f"{total:,} (difference {(r2 - r1) / 1024:+.3f} MB; peak {hwm / 1024:.2f} MB)")


def _lines(block: bytes, k: int) -> bytes:
    """The first k lines of a block."""
    end = 0
    for _ in range(k):
        end = block.index(b"\n", end) + 1
    return block[:end]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=0.2)
    ap.add_argument("--pipe", type=int, default=200_000, help="readings for the throughput run")
    ap.add_argument("--memory", type=int, default=1_000_000, help="readings for the memory run")
    args = ap.parse_args()
    blas = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"numpy {np.__version__}, forecast LSTM H = {H}, one thread; {fix_malloc()}; "
          + ", ".join(f"{k}={v}" for k, v in blas.items()))
    with tempfile.TemporaryDirectory() as tmp:
        path = make_model(Path(tmp))
        with threadpool_limits(limits=1):
            in_process(path, args.repeats, args.seconds)
        latency(path)
        throughput(path, args.pipe)
        memory(path, args.memory)


if __name__ == "__main__":
    main()
