"""Scheduling outcomes through fsrs with fuzzing off (exact intervals)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from rnn_tutor.quiz import schedule

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def sched():
    return schedule.make_scheduler(fuzzing=False)


def test_new_card_intervals(sched):
    out = schedule.preview(sched, schedule.new_state("c", T0), T0)
    assert out[1].interval == timedelta(minutes=1)  # Again: first learning step
    assert out[3].interval == timedelta(minutes=10)  # Good: second learning step
    assert timedelta(minutes=1) < out[2].interval < timedelta(minutes=10)  # Hard: in between
    assert out[4].interval >= timedelta(days=1)  # Easy: straight to review
    assert schedule.state_name(out[4].state) == "review"
    assert [schedule.state_name(out[g].state) for g in (1, 2, 3)] == ["learning"] * 3


def test_good_good_graduates_and_grows(sched):
    first = schedule.review(sched, schedule.new_state("c", T0), 3, T0)
    second = schedule.review(sched, first.state, 3, first.due)
    assert schedule.state_name(second.state) == "review"
    assert second.interval >= timedelta(days=1)
    third = schedule.preview(sched, second.state, second.due)
    assert third[1].interval < third[2].interval < third[3].interval < third[4].interval
    assert third[3].interval > second.interval  # remembered again: the gap grows


def test_again_on_review_card_relearns(sched):
    state = schedule.review(sched, schedule.new_state("c", T0), 4, T0).state
    lapse = schedule.review(sched, state, 1, schedule.due_of(state))
    assert schedule.state_name(lapse.state) == "relearning"
    assert lapse.interval == timedelta(minutes=10)


def test_same_inputs_same_schedule(sched):
    a = schedule.preview(sched, schedule.new_state("c", T0), T0)
    b = schedule.preview(schedule.make_scheduler(fuzzing=False), schedule.new_state("c", T0), T0)
    assert {g: o.state for g, o in a.items()} == {g: o.state for g, o in b.items()}


def test_bad_grade(sched):
    with pytest.raises(ValueError):
        schedule.review(sched, schedule.new_state("c", T0), 5, T0)


@pytest.mark.parametrize("seconds, text", [(5, "<1m"), (60, "1m"), (600, "10m"), (7200, "2h"),
                                           (86400 * 3, "3d"), (86400 * 45, "1.5mo"),
                                           (86400 * 400, "1.1y")])
def test_format_interval(seconds, text):
    assert schedule.format_interval(timedelta(seconds=seconds)) == text


def test_naive_times_are_taken_as_utc():
    assert schedule.utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=timezone.utc)
