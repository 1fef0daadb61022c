"""Output for ``rnn-tutor quiz``: the conversation lines (stderr), and tables/records (stdout).

A study session talks to the learner on stderr (questions, answers, the grade menu, feedback) and
writes its data on stdout: one JSON object per answered card with ``--format jsonl``, and the
summary at the end (table, json or csv). So a script that pipes answers in reads only data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from rnn_tutor.render import message

GLYPH = {1: "✗", 2: "~", 3: "✓", 4: "★"}
LIST_COLUMNS = ["id", "topic", "kind", "state", "due", "reviews", "lapses", "question", "answer",
                "see_also", "source"]
STATS_COLUMNS = ["topic", "cards", "reviews", "lapses", "retention"]
REVIEW_COLUMNS = ["event", "n", "card_id", "topic", "grade", "grade_name", "correct", "expected",
                  "given", "reviewed_at", "due", "interval", "cram", "uid"]
SUMMARY_COLUMNS = ["ended", "planned", "answered", "remaining", "again", "hard", "good", "easy",
                   "numeric_right", "numeric_total", "cram", "next_due"]


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    from rnn_tutor.quiz.schedule import utc

    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# ------------------------------------------------------------------------- the conversation

def say(text: str = "", style: str | None = None) -> None:
    """A line of the conversation on stderr. Styled (and word-wrapped by rich) only on a terminal;
    piped, every line is written exactly as composed."""
    import sys

    try:
        tty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty:
        message(text)
        return
    from rnn_tutor.render import err_console

    # through rich even when unstyled (render.message writes plain lines before its console exists, and
    # the terminal then broke the first line mid-word: "shows the a / nswer")
    err_console().print(text, style=style, markup=False, highlight=False)


def intro(due: int, new: int, cram: bool, interactive: bool, capped: str = "") -> str:
    what = f"{due + new} card{'s' if due + new != 1 else ''}"
    detail = "cram: the schedule is not changed" if cram else f"{due} due, {new} new"
    keys = ("Enter or Space shows the answer, 1-4 grades it, u takes back the last grade, q quits."
            if interactive else "One answer per line: an empty line shows the answer, 1-4 grades it, "
            "undo takes back the last grade, q quits.")
    return f"Studying {what} ({detail}). " + (f"{capped} " if capped else "") + keys


def new_cap_note(new_cap: int, new_today: int, unseen: int) -> str:
    """Why no (more) new cards today, and how to have them: '' when the cap is not what holds them back."""
    if unseen <= 0 or new_today < new_cap:
        return ""
    more = max(new_today, new_cap) + 10
    if new_cap == 0:
        return f"--new 0 allows no new cards ({plural(unseen, 'card')} not seen yet; --new {more} allows some)."
    return (f"Today's {plural(new_cap, 'new card')} are done: that is the daily cap (--new {new_cap}); "
            f"{plural(unseen, 'card')} not seen yet, --new {more} allows more.")


def nothing_to_study(next_due: datetime | None, now: datetime, *, cap_note: str = "") -> str:
    """The queue is empty: say why (nothing due, and the daily cap if that is what holds new cards back)."""
    from rnn_tutor.quiz.schedule import format_interval, utc

    if next_due is None and not cap_note:
        return "Nothing to study with these options."
    text = "Nothing is due"
    if next_due is not None:
        wait = next_due - utc(now)
        when = "now" if wait.total_seconds() <= 0 else f"in {format_interval(wait)}"
        text += f" (next card {when}, at {_local(next_due)})"
    text += "."
    if cap_note:
        return f"{text} {cap_note} Or review anyway with --cram."
    return f"{text} Use --cram to review anyway, or raise the daily cap on new cards with --new."


def card_header(index: int, total: int, card) -> str:
    return f"\n[{index}/{total}] {card.topic} · {card.id}"


def question(text: str) -> str:
    return f"Q: {text}"


def reveal_prompt(interactive: bool) -> str:
    return ("  (Enter/Space: show answer · u: undo · q: quit)" if interactive
            else "  (empty line: show answer · undo: take back the last grade · q: quit)")


def answer(card) -> list[str]:
    lines = [f"A: {card.answer}"]
    if card.see_also:
        lines.append(f"   see also: {card.see_also}")
    return lines


def numeric_prompt() -> str:
    return "  Your answer (a number; Enter gives up, u undoes the last grade, q quits): "


def _echo(text: str, width: int = 24) -> str:
    """What the learner typed, quoted and cut short (a pasted page or binary junk is not echoed whole)."""
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def not_a_number(text: str) -> str:
    return f"  {_echo(text)} is not a number: type something like 1.25, -0.5 or 5/4 (q quits)."


def numeric_feedback(item, given: float | None, correct: bool) -> list[str]:
    from rnn_tutor.core.numfmt import num

    if correct:
        return [f"  ✓ right: h_{item.asked_step} = {num(item.expected)}"]
    said = "no answer" if given is None else f"you said {num(given)}"
    lines = [f"  ✗ not quite ({said}); h_{item.asked_step} = {num(item.expected)}. Worked steps:"]
    lines += [f"    {step}" for step in item.steps]
    return lines


def grade_menu(outcomes: dict, cram: bool) -> str:
    from rnn_tutor.quiz.schedule import GRADE_LABELS, format_interval

    if cram or not outcomes:
        options = "  ".join(f"{g} {GRADE_LABELS[g]}" for g in GRADE_LABELS)
        return f"  Grade: {options}   (cram: schedule unchanged) · u undo · q quit"
    options = "  ".join(f"{g} {GRADE_LABELS[g]} ({format_interval(outcomes[g].interval)})"
                        for g in GRADE_LABELS)
    return f"  Grade: {options} · u undo · q quit"


def bad_grade(text: str) -> str:
    return f"  {_echo(text)} is not a grade: type 1 (Again), 2 (Hard), 3 (Good), 4 (Easy) or q."


def auto_again() -> str:
    return "  Graded Again (wrong answer)."


def recorded(grade: int, due: datetime | None, when: datetime) -> str:
    from rnn_tutor.quiz.schedule import GRADE_LABELS, format_interval

    label = f"{GLYPH[grade]} {GRADE_LABELS[grade]}"
    if due is None:
        return f"  {label} (cram: saved in the history, schedule unchanged)"
    return f"  {label}: saved; next review in {format_interval(due - when)}"


def nothing_to_undo() -> str:
    return ("  Nothing to undo yet in this session ('rnn-tutor quiz undo' takes back the last review of an "
            "earlier one).")


def undone_line(undone) -> str:
    from rnn_tutor.quiz.schedule import GRADE_LABELS

    r = undone.review
    what = f"  ↶ Took back {GRADE_LABELS[r.grade]} on {r.card_id}"
    if r.cram:
        return what + " (a cram review: the schedule is as it was). Asking it again."
    if undone.state is None:
        return what + ": the card is new again. Asking it again."
    return what + f": its schedule is back to due {_local(undone.due)}. Asking it again."


def leech_warning(leech) -> list[str]:
    """Said when an Again makes a card a leech (or keeps it one): where to go back to."""
    from rnn_tutor.quiz.leeches import LEECH_LAPSES

    fresh = leech.lapses == LEECH_LAPSES
    head = (f"  ⚑ {leech.card_id} is now a leech: {leech.lapses} lapses (Again after the first review)."
            if fresh else f"  ⚑ {leech.card_id} is a leech: {leech.lapses} lapses.")
    steps = [f"read {leech.lesson}" if leech.lesson else "", f"try {leech.see_also}" if leech.see_also else ""]
    steps = [x for x in steps if x]
    if steps:
        return [head, "    Go back to what it is about: " + ", then ".join(steps) + "."]
    return [head, "    Rewriting it in your own words often helps more than seeing it again."]


def undo_table(rec: dict) -> Iterable[Any]:
    if not rec["undone"]:
        return ["Nothing to undo: the history has no reviews."]
    from rnn_tutor.quiz.store import parse_stamp

    when = _local(parse_stamp(rec["reviewed_at"]))
    head = f"Took back {rec['grade_name'].capitalize()} on {rec['card_id']} (reviewed {when})"
    if rec["cram"]:
        return [head + "; it was a cram review, so the schedule is unchanged."]
    if rec["due"] is None:
        return [head + "; the card is new again."]
    return [head + f"; its schedule is back to due {_local(parse_stamp(rec['due']))}."]


def moved_aside(path, reason: str | None = None) -> str:
    why = f"could not be used: {reason}" if reason else "was not a readable database"
    return (f"The progress file {why}; it was moved to {path} "
            "(kept, not deleted) and a fresh store was started.")


# ------------------------------------------------------------------------- records

def review_event(n: int, card, rec, when: datetime, item=None, given=None,
                 correct=None, leech=None) -> dict:
    from rnn_tutor.quiz.schedule import GRADES

    review = rec.review
    return {
        "event": "review",
        "uid": review.uid,
        "n": n,
        "card_id": card.id,
        "topic": card.topic,
        "grade": review.grade,
        "grade_name": GRADES[review.grade],
        "correct": correct,
        "expected": None if item is None else item.expected,
        "given": given,
        "reviewed_at": _stamp(review.reviewed_at),
        "due": _stamp(rec.due),
        "interval": None if rec.due is None else (rec.due - when).total_seconds(),
        "cram": review.cram,
        "leech": None if leech is None else leech.as_record(),
    }


def undo_event(undone) -> dict:
    """The JSON line a session writes when a grade is taken back."""
    return {"event": "undo", **undo_record(undone)}


def undo_record(undone) -> dict:
    from rnn_tutor.quiz.schedule import GRADES, state_name

    r = undone.review
    return {"undone": True, "uid": r.uid, "card_id": r.card_id, "topic": r.topic, "grade": r.grade,
            "grade_name": GRADES[r.grade], "reviewed_at": _stamp(r.reviewed_at), "cram": r.cram,
            "state": state_name(undone.state), "due": _stamp(undone.due)}


def summary_record(summary) -> dict:
    return summary.as_record()


def summary_row(summary) -> dict:
    rec = summary.as_record()
    row = {k: v for k, v in rec.items() if k != "grades"}
    row.update(rec["grades"])
    return row


def summary_table(summary) -> Iterable[Any]:
    from rnn_tutor.quiz.schedule import GRADE_LABELS, GRADES
    from rich.table import Table

    ended = {"done": "all planned cards studied", "quit": "stopped with q",
             "eof": "input ended", "interrupted": "interrupted"}[summary.ended]
    table = Table(title="Session summary", title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("Studied", f"{summary.answered} of {summary.planned} ({ended})")
    table.add_row("Grades", "  ".join(f"{GRADE_LABELS[g]} {summary.grades[GRADES[g]]}"
                                      for g in GRADE_LABELS))
    if summary.numeric_total:
        table.add_row("Numeric", f"{summary.numeric_right} of {summary.numeric_total} right")
    if summary.undone:
        table.add_row("Undone", plural(summary.undone, "grade") + " taken back")
    if summary.cram:
        table.add_row("Mode", "cram (schedule unchanged)")
    if summary.due_now:
        table.add_row("Due now", f"{plural(summary.due_now, 'card')} (rnn-tutor quiz studies them)")
    else:
        table.add_row("Next due", _local(summary.next_due))
    return [table]


def list_record(card, state: dict | None, reviews: int, lapses: int = 0) -> dict:
    from rnn_tutor.quiz.schedule import due_of, state_name

    rec = card.as_record()
    rec.update({"state": state_name(state), "due": _stamp(due_of(state)) if state else None,
                "reviews": reviews, "lapses": lapses})
    return rec


def list_table(records: list[dict], due: bool = False, leeches: bool = False) -> Iterable[Any]:
    if not records and leeches:
        from rnn_tutor.quiz.leeches import LEECH_LAPSES

        return [f"No leeches: no card has {LEECH_LAPSES} or more lapses" + (" and is due now." if due else ".")]
    if not records and due:
        return ["No card is due now ('rnn-tutor quiz stats' says how many come due today and this week)."]
    from rich.table import Table

    from rnn_tutor.quiz.store import parse_stamp

    from rich import box
    from rich.text import Text

    table = Table(title=plural(len(records), "card"), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True, max_width=22, overflow="ellipsis")
    table.add_column("state", no_wrap=True)
    table.add_column("due", no_wrap=True)
    table.add_column("question", ratio=1, min_width=20, overflow="fold")
    if leeches:
        table.add_column("lapses", justify="right", no_wrap=True)
    for r in records:
        due = "-" if r["due"] is None else parse_stamp(r["due"]).astimezone().strftime("%m-%d %H:%M")
        state = r["state"] + ("*" if r["kind"] == "numeric" else "")
        table.add_row(Text(r["id"]), state, due, Text(_short(r["question"], 70)),  # no markup
                      *([str(r["lapses"])] if leeches else []))
    if any(r["kind"] == "numeric" for r in records):
        return [table, "* numeric card: fresh numbers each time"]
    return [table]


def stats_table(st) -> Iterable[Any]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from rnn_tutor.core.numfmt import percent
    from rnn_tutor.render import bar

    def pct(x):  # whole percents, half away from zero: 1 of 8 is 13%, not format's 12% (half to even)
        return "-" if x is None else percent(x, 0)

    overview = Table(title="Progress", title_justify="left", show_header=False, box=None, pad_edge=False)
    overview.add_column("what", style="bold")
    overview.add_column("value")
    overview.add_row("Cards", f"{st.cards} ({st.new} new, {st.learning} learning, {st.review} review)")
    overview.add_row("Due", f"{st.due_now} now · {st.due_today} today · {st.due_this_week} this week")
    overview.add_row("Reviews", f"{st.reviews_total} total · {st.reviews_today} today · "
                                f"{st.reviews_week} in 7 days"
                                + (f" (+{st.cram_reviews} cram)" if st.cram_reviews else ""))
    overview.add_row("Retention", pct(st.retention) + ("" if st.retention is not None else
                                                       " (no repeat reviews yet)"))
    overview.add_row("Streak", f"{st.streak_days} day{'s' if st.streak_days != 1 else ''}"
                               + ("" if st.studied_today or not st.streak_days
                                  else " (study today to keep it)"))
    weakest = ", ".join(f"{t.topic} ({pct(t.retention)})" for t in st.weakest) or "-"
    overview.add_row("Weakest", Text(weakest))
    topics = Table(title="By topic", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("topic", "cards", "reviews", "lapses", "retention", ""):
        topics.add_column(name, justify="left" if name in ("topic", "") else "right")
    for t in st.topics:
        topics.add_row(Text(t.topic), str(t.cards), str(t.reviews), str(t.lapses), pct(t.retention),
                       bar(t.retention, 10) if t.retention is not None else "·")
    out: list[Any] = [overview, "", topics]
    out += leech_lines(st.leeches)
    if st.calendar is not None:
        out += ["", *calendar_lines(st.calendar)]
    return out


def leech_lines(leeches) -> list[Any]:
    """One line per leech: its id and lapses, then the lesson and the command that teach it."""
    if not leeches:
        return []
    from rich.text import Text

    from rnn_tutor.quiz.leeches import LEECH_LAPSES

    lines: list[Any] = ["", Text(f"Leeches ({LEECH_LAPSES}+ lapses): go back to what they are about",
                                 style="bold")]
    for x in leeches:
        where = "   ".join(w for w in (f"read: {x.lesson}" if x.lesson else "",
                                        f"try: {x.see_also}" if x.see_also else "") if w)
        lines.append(Text(f"  ✗ {x.card_id} ({x.topic}, {plural(x.lapses, 'lapse')})"))
        lines.append(Text(f"      {where or 'rewrite the card in your own words'}"))
    return lines


CAL_GLYPHS = "·░▒▓█"  # no reviews, then four levels up to the busiest day shown
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _level(n: int, top: int) -> int:
    return 0 if n <= 0 or top <= 0 else min(4, -(-4 * n // top))  # ceil(4 n / top): 1..4


def calendar_lines(cal, width: int = 80) -> list[str]:
    """The review calendar as plain lines: weekdays down, weeks across, one glyph a day, month names
    above, and a legend saying how many reviews each glyph stands for. Readable without colour."""
    from datetime import timedelta

    weeks = cal.weeks
    cell = 2 if 4 + 2 * weeks <= width else 1
    counts = cal.counts
    top = max((n for n in counts if n is not None), default=0)
    head = [" "] * (4 + cell * weeks + 3)
    mondays = [cal.start + timedelta(days=7 * w) for w in range(weeks)]
    starts = [w for w in range(weeks) if w == 0 or mondays[w - 1].month != mondays[w].month]
    last = -10
    for i, w in enumerate(starts):  # a month's name above its first week, if there is room for it
        col = 4 + cell * w
        room = (starts[i + 1] - w) * cell if i + 1 < len(starts) else 99
        if col >= last + 4 and room >= 4:
            head[col:col + 3] = MONTHS[mondays[w].month - 1]
            last = col
    lines = [f"Reviews per day, {cal.start.isoformat()} to {cal.today.isoformat()}", "".join(head).rstrip()]
    for day, name in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")):
        row = []
        for w in range(weeks):
            n = counts[7 * w + day]
            glyph = " " if n is None else CAL_GLYPHS[_level(n, top)]
            row.append(glyph.ljust(cell))
        lines.append(f"{name} " + "".join(row).rstrip())
    past = [n for n in counts if n is not None]
    legend = ["· none"]
    for k in range(1, 5):
        lo = (k - 1) * top // 4 + 1
        hi = k * top // 4
        if top and lo <= hi:
            legend.append(f"{CAL_GLYPHS[k]} {lo}" + (f"-{hi}" if hi > lo else ""))
    studied = sum(1 for n in past if n)
    lines.append("    " + "  ".join(legend) + f"   ({plural(sum(past), 'review')} on {studied} of "
                 f"{plural(len(past), 'day')})")
    return lines


def stats_rows(st) -> list[dict]:
    return [t.as_record() for t in st.topics]


def import_record(kind: str, path: str, added: int, updated_or_skipped: int, unchanged: int = 0,
                  builtin_skipped: int = 0) -> dict:
    if kind == "deck":
        return {"kind": "deck", "file": path, "added": added, "updated": updated_or_skipped,
                "unchanged": unchanged, "builtin_skipped": builtin_skipped}
    return {"kind": "history", "file": path, "added": added, "skipped": updated_or_skipped}


def import_table(rec: dict) -> Iterable[Any]:
    if rec["kind"] == "deck":
        same = rec.get("unchanged", 0)
        skipped = rec.get("builtin_skipped", 0)
        tail = (f" {plural(skipped, 'built-in card')} skipped (already in the deck)." if skipped else "")
        if not rec["added"] and not rec["updated"]:
            return [f"Imported {rec['file']}: nothing changed ({plural(same, 'card')} already in your "
                    "collection with the same wording)." + tail]
        return [f"Imported {rec['file']}: {plural(rec['added'], 'new card')}, {rec['updated']} updated "
                "(same id: new wording, progress kept)" + (f", {same} unchanged" if same else "") + "." + tail]
    return [f"Imported {rec['file']}: {plural(rec['added'], 'review')} restored, {rec['skipped']} already "
            "present."]


def anki_written(cards, notes, target) -> str:
    numeric = sum(1 for c in cards if c.kind == "numeric")
    parts = plural(len(cards) - numeric, "text card")
    if numeric:
        parts += f" and {plural(numeric, 'numeric card')} as {len(notes) - (len(cards) - numeric)} worked examples"
    return (f"Wrote {plural(len(notes), 'note')} ({parts}) to {target}. In Anki: File > Import. Importing a "
            "later export updates these notes instead of adding copies.")


def reset_record(backup, reviews: int) -> dict:
    return {"reset": backup is not None, "reviews_removed": reviews,
            "backup": None if backup is None else str(backup)}


def reset_table(rec: dict) -> Iterable[Any]:
    if not rec["reset"]:
        return ["Nothing to reset: no reviews yet."]
    return [f"Progress reset: {plural(rec['reviews_removed'], 'review')} removed. "
            f"A copy of the old store is at {rec['backup']}."]
