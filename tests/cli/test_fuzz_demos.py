"""Fuzz ``order``, ``cost``, ``bottleneck`` and ``learn`` with nasty values: no traceback, right exit codes,
valid JSON."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzzing import check_invocation, formats, nasty_values

small = st.one_of(nasty_values, st.integers(1, 16).map(str))


@settings(max_examples=60, deadline=None)
@given(
    a=st.one_of(st.text(max_size=20), st.sampled_from(["The dog bit the man", "!!!", "a a a"])),
    b=st.one_of(st.text(max_size=20), st.sampled_from(["The man bit the dog", "", "--"])),
    pairs=st.lists(st.tuples(st.sampled_from(["-w", "-u", "-a", "--seed", "--weight"]), nasty_values), max_size=3),
    fmt=formats,
)
def test_order_fuzz(a, b, pairs, fmt):
    args = ["order", *[x for p in pairs for x in p], "-f", fmt, "--", a, b]
    check_invocation(args)


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["--length", "-n", "--hidden", "-d", "--layers", "--bytes"]),
                                nasty_values), max_size=4), fmt=formats)
def test_cost_fuzz(pairs, fmt):
    check_invocation(["cost", *[x for p in pairs for x in p], "--format", fmt])


@settings(max_examples=60, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["--size", "-d", "--max-length", "-T", "--weight", "--samples",
                                                 "--seed"]), small), max_size=4), fmt=formats)
def test_bottleneck_fuzz(pairs, fmt):
    args = ["bottleneck", "--max-length", "16", "--samples", "50"] + [x for p in pairs for x in p]
    check_invocation(args + ["--format", fmt])


@settings(max_examples=40, deadline=None)
@given(topic=st.one_of(st.none(), nasty_values, st.sampled_from(["order", "8", "hand", "g", "-1"])), fmt=formats,
       cache=st.sampled_from([[], ["--no-cache"], ["--cache"]]))
def test_learn_fuzz(topic, fmt, cache):
    args = ["learn", "--no-pager", *cache, "--format", fmt] + ([] if topic is None else ["--", topic])
    check_invocation(args)


@settings(max_examples=25, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["--length", "-n", "--repeats", "--threads", "--hidden"]),
                                st.one_of(st.sampled_from(["0", "1", "16", "40", "5793", "-1", "", "abc", "1e3",
                                                           "nan", "2"]), st.text(max_size=4))),
                      max_size=3), fmt=formats)
def test_cost_measure_fuzz(pairs, fmt):
    """--measure with hostile values; sizes stay small (the hidden width is drawn from the same short list)."""
    args = ["cost", "--measure", "-n", "32", "-d", "4", "--repeats", "1"] + [x for p in pairs for x in p]
    check_invocation(args + ["--format", fmt])
