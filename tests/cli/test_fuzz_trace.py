from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzzing import check_invocation, formats, nasty_values

OPTIONS = ["-w", "--weight", "-u", "--input-weight", "-b", "--bias", "--h0", "-a", "--activation", "--values",
           "--sentence", "--tolerance", "--cell", "--hidden-size", "--seed", "--weights", "--input", "-f"]
FLAGS = ["--practice", "--stream", "--one-hot", "-", "--worksheet", "--step", "--fractions"]


@settings(max_examples=150, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from(OPTIONS), nasty_values), max_size=4),
    flags=st.lists(st.sampled_from(FLAGS), max_size=2, unique=True),
    fmt=st.one_of(formats, st.just("markdown")),
    stdin=st.one_of(st.none(), st.text(max_size=30), st.sampled_from(["1 2 3", "1\n2\n", "nan", "1e308 1e308",
                                                                       "1/3 2/0", "\n\nq\n", "3.0625\n49/16\n"])),
)
def test_trace_fuzz(pairs, flags, fmt, stdin):
    args = ["trace"] + [x for p in pairs for x in p] + flags + ["--format", fmt]
    check_invocation(args, input=stdin)
