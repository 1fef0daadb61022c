"""train's table tells the truth (issue 12 §6, §8): the sampled rows always include the step where the task was
first solved, the best and the last; the learning curve says how far it got."""

from __future__ import annotations

from rnn_tutor.core.train import EvalRecord
from rnn_tutor.render import train as view


def _records(n=101, every=10, solved_at=300):
    recs = []
    for i in range(n):
        step = i * every
        acc = 0.2 if step < solved_at else (0.995 if step == solved_at else 0.98 + 0.0001 * i)
        recs.append(EvalRecord(step, step * 32, 1.0 / (1 + i), acc, None, None, 0.1 * i))
    return recs


def test_sampled_rows_include_first_solved_best_and_last():
    recs = _records()  # evenly spaced rows would jump from 250 to 350 past the solved step 300
    rows = view.sampled_rows(recs, solved_step=300)
    steps = [recs[i].step for i in rows]
    assert 300 in steps and steps[0] == 0 and steps[-1] == 1000 and len(rows) >= 12
    best = max(range(len(recs)), key=lambda i: (recs[i].accuracy, -recs[i].loss))
    assert best in rows and recs[best].step == 300  # 99.5% beats every later 98.x%
    labels = view.row_labels(recs, 300)
    assert labels[rows[steps.index(300)]] == ["first >= 99%", "best"] and labels[len(recs) - 1] == ["last"]
    assert view.sampled_rows(recs[:10], None) == list(range(10))  # short runs show every row


def test_table_shows_the_solved_row_and_an_interrupted_curve_says_where_it_stopped(cli, monkeypatch):
    from rnn_tutor.core import train as core

    run = core.Trainer.run

    def stop_at_288(self):
        for rec in run(self):
            yield rec
            if rec.step >= 288:
                raise KeyboardInterrupt

    monkeypatch.setattr(core.Trainer, "run", stop_at_288)
    r = cli(["train", "--task", "order", "-n", "1000", "--eval-every", "8", "-H", "4", "--eval-size", "64"])
    assert r.exit_code == 130, r.stderr
    text = " ".join(r.stdout.split())
    assert "over the 1,000-step budget; interrupted at step 288" in text and "over 1,000 steps" not in text
    assert "288" in [ln.split()[0] for ln in r.stdout.splitlines() if ln.strip()[:1].isdigit()]  # the last row
    if "solved (>= 99%) at step" in text:
        solved = text.split("solved (>= 99%) at step ")[1].split()[0]
        assert f"{solved} " in r.stdout and "first >= 99%" in r.stdout
