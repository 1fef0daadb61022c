"""The study session of ``rnn-tutor quiz``: the queue, asking each card, grades, undo (u), Ctrl-C and signals,
and the summary. Run by the ``quiz`` group's own command (``cli/quiz.py``)."""

from __future__ import annotations

import sys

from rnn_tutor.cli.quiz import _cards, _open_store, _report_damage
from rnn_tutor.errors import RnnTutorError

GRADE_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4, "again": 1, "hard": 2, "good": 3, "easy": 4}
QUIT_WORDS = ("q", "quit", "exit")
UNDO_WORDS = ("u", "undo")


class _Stop(Exception):
    """The learner ended the session: ``reason`` is quit or eof."""

    def __init__(self, reason: str):
        self.reason = reason


class _Undo(Exception):
    """The learner asked to take back the last grade (u, or a line 'undo')."""


def study(ctx, *, limit, topic, cram, new, deck, seed, data_dir, fmt, now, fuzz) -> int:
    """Run one study session. Returns the exit code (0, or 130 after Ctrl-C)."""
    import signal

    from rnn_tutor import render
    from rnn_tutor.quiz import schedule
    from rnn_tutor.quiz.keys import open_input
    from rnn_tutor.quiz.session import Session, local_day_bounds, plan
    from rnn_tutor.render import quiz as rq

    clock = (lambda: now) if now is not None else schedule.utc
    store = _open_store(ctx, data_dir)
    # A polite kill (SIGTERM, a closed terminal) unwinds like Ctrl-C: the terminal is restored and
    # the store closed; answered cards are already committed.
    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            try:
                previous[sig] = signal.signal(sig, _raise_interrupt)
            except (ValueError, OSError):  # not the main thread (in-process test runners)
                pass
    try:
        cards = _cards(store, deck, topic)
        start = clock()
        states = store.states()
        day_start, day_end = local_day_bounds(start)
        new_today = store.new_cards_between(day_start, day_end)
        queue = plan(cards, states, start, limit=limit, cram=cram, new_per_day=new,
                     new_today=new_today)
        cap_note = "" if cram else rq.new_cap_note(new, new_today, sum(c.id not in states for c in cards))
        session = Session(store, queue, scheduler=schedule.make_scheduler(fuzzing=fuzz),
                          seed=seed, cram=cram, cards=cards)
        inp = open_input()
        events: list[dict] = []
        if not queue:
            dues = [schedule.due_of(states[c.id]) for c in cards if c.id in states]
            rq.say(rq.nothing_to_study(min(dues) if dues else None, start, cap_note=cap_note))
        else:
            n_due = sum(1 for c in queue if c.id in states)
            rq.say(rq.intro(n_due, len(queue) - n_due, cram, inp.interactive, capped=cap_note))
        ended = "done"
        try:
            pending, index = list(queue), 0
            while pending:
                card = pending.pop(0)
                index += 1
                try:
                    event = _one_card(session, card, index, index + len(pending), inp, clock)
                except _Undo:
                    back = _undo_in_session(session, events, fmt)
                    pending[0:0] = [card] if back is None else [back, card]
                    index -= 1 if back is None else 2
                    continue
                events.append(event)
                if fmt == "jsonl":
                    render.write_jsonl(event)
                if not pending and not cram:
                    # Cards from this session that have come due again (an Again or a short learning
                    # step a few minutes ago) are shown once more before the session ends.
                    studied = {c.id: c for c in queue}
                    states_now = store.states()
                    moment = clock()
                    pending = [c for c in studied.values() if c.id in states_now
                               and schedule.due_of(states_now[c.id]) <= moment]
                    session.result.planned += len(pending)
        except _Stop as stop:
            ended = stop.reason
        except KeyboardInterrupt:
            ended = "interrupted"
        summary = session.summary(ended, clock())
        if ended == "interrupted":
            rq.say("\nInterrupted: every answered card is saved.")
        if queue or fmt != "table":  # an empty session has no table to show (scripts still get the record)
            _emit_session(fmt, summary, events)
        return 130 if ended == "interrupted" else 0
    finally:
        store.close()
        _report_damage(store)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _undo_in_session(session, events: list[dict], fmt: str):
    """Take back the session's last grade; returns the card to ask again, or None (nothing to undo, or it
    could not be taken back: the learner is told why)."""
    from rnn_tutor import render
    from rnn_tutor.render import quiz as rq

    try:
        back = session.undo()
    except RnnTutorError as exc:
        rq.say(f"  Cannot undo: {exc.message}.")
        return None
    if back is None:
        rq.say(rq.nothing_to_undo())
        return None
    card, undone = back
    for i in range(len(events) - 1, -1, -1):
        if events[i].get("uid") == undone.review.uid:
            del events[i]
            break
    rq.say(rq.undone_line(undone))
    if fmt == "jsonl":
        render.write_jsonl(rq.undo_event(undone))
    return card


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def _emit_session(fmt: str, summary, events: list[dict]) -> None:
    from rnn_tutor import render
    from rnn_tutor.render import quiz as rq

    if fmt == "jsonl":
        render.write_jsonl(rq.summary_record(summary))
    elif fmt == "json":
        render.write_json({"summary": rq.summary_record(summary), "reviews": events})
    elif fmt == "csv":
        render.write_csv(events, rq.REVIEW_COLUMNS)
    else:
        render.print_table(rq.summary_table(summary))


def _read_key(inp):
    key = inp.key()
    if key is None:
        raise _Stop("eof")
    return key


def _one_card(session, card, index: int, total: int, inp, clock) -> dict:
    """Ask one card, take its grade, save it. Raises _Stop on q / end of input."""
    from rnn_tutor.quiz.keys import ENTER
    from rnn_tutor.quiz.numeric import parse_answer
    from rnn_tutor.render import quiz as rq

    say = rq.say
    say(rq.card_header(index, total, card), style="bold")
    item = given = correct = None
    grade = None
    if card.kind == "numeric":
        item = session.item(card)
        say(rq.question(item.question))
        while True:
            sys.stderr.write(rq.numeric_prompt() + ("" if inp.interactive else "\n"))
            sys.stderr.flush()
            try:
                text = inp.line()
            except UnicodeDecodeError:
                text = "?"
            if text is None:
                raise _Stop("eof")
            text = text.strip()
            if text.lower() in QUIT_WORDS:
                raise _Stop("quit")
            if text.lower() in UNDO_WORDS:
                raise _Undo()
            given = parse_answer(text)
            if given is None and text:
                say(rq.not_a_number(text))
                continue
            break
        correct = given is not None and item.check(given)
        for line in rq.numeric_feedback(item, given, correct):
            say(line)
        if not correct:
            grade = 1
    else:
        say(rq.question(card.question))
        say(rq.reveal_prompt(inp.interactive), style="dim")
        while True:
            key = _read_key(inp)
            low = key.lower()
            if low in QUIT_WORDS:
                raise _Stop("quit")
            if low in UNDO_WORDS:
                raise _Undo()
            if key in (ENTER, " "):
                break
            if not inp.interactive:
                # A line: a grade given straight away, or the learner's own attempt; both reveal.
                if low in GRADE_WORDS:
                    grade = GRADE_WORDS[low]
                break
        for line in rq.answer(card):
            say(line)
    when = clock()
    seen, outcomes = session.preview(card, when)
    if grade is None:
        say(rq.grade_menu(outcomes, session.cram))
        while grade is None:
            key = _read_key(inp).lower()
            if key in QUIT_WORDS:
                raise _Stop("quit")
            if key in UNDO_WORDS:
                raise _Undo()
            if key in GRADE_WORDS and (inp.interactive is False or key.isdigit()):
                grade = GRADE_WORDS[key]
            elif not inp.interactive:
                say(rq.bad_grade(key if key != ENTER else ""))
    elif correct is False:
        say(rq.auto_again())
    rec = session.answer(card, grade, when, seen=seen, outcomes=outcomes, correct=correct)
    say(rq.recorded(grade, rec.due, when))
    leech = None
    if grade == 1 and not rec.review.cram and not rec.review.first:
        from rnn_tutor.quiz import leeches

        lapses = session.store.lapses(card.id)
        if leeches.is_leech(lapses):
            leech = leeches.leech(card, lapses)
            for line in rq.leech_warning(leech):
                say(line, style="bold")
    return rq.review_event(index, card, rec, when, item=item, given=given, correct=correct, leech=leech)
