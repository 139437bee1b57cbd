"""The column-wise JSON encoder (engine.io.jsonfrag) writes every report line; whatever the text
(quotes, backslashes, control characters, Chinese, nulls), a JSON parser must read back the values."""
import datetime as dt
import json

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.io.jsonfrag import fragment, lines

texts = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(['"', "\\", "\x00", "\n", "罚款", "a\"b\\c"]))


def _parsed(frags: pa.Array):
    return json.loads("[" + ",".join(frags.to_pylist()) + "]")


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, max_size=30), st.integers(min_value=0, max_value=5000))
def test_text_reads_back(values, repeat):
    # long columns take the repeated-values path; short ones are encoded row by row
    col = values * (repeat // max(len(values), 1) + 1) if values and repeat > 4096 else values
    assert _parsed(fragment(pa.array(col, type=pa.string()))) == col


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(st.text(max_size=5), max_size=3)), max_size=20))
def test_lists_of_text_read_back(values):
    assert _parsed(fragment(pa.array(values, type=pa.list_(pa.string())))) == values


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64)), max_size=20),
       st.lists(st.one_of(st.none(), st.integers(-2**53, 2**53)), max_size=20),
       st.lists(st.one_of(st.none(), st.booleans()), max_size=20),
       st.lists(st.one_of(st.none(), st.dates()), max_size=20))
def test_numbers_booleans_and_dates_read_back(floats, ints, bools, dates):
    assert _parsed(fragment(pa.array(floats, type=pa.float64()))) == floats
    assert _parsed(fragment(pa.array(ints, type=pa.int64()))) == ints
    assert _parsed(fragment(pa.array(bools, type=pa.bool_()))) == bools
    assert _parsed(fragment(pa.array(dates, type=pa.date32()))) == [d and d.isoformat() for d in dates]


def test_a_line_per_row_in_key_order():
    text = bytes(lines([("case_id", fragment(pa.array(['A"1', None]))), ("n", "7"),
                        ("day", fragment(pa.array([dt.date(2024, 5, 1), None])))], 2)).decode("utf-8")
    assert text.splitlines() == ['{"case_id":"A\\"1","n":7,"day":"2024-05-01"}', '{"case_id":null,"n":7,"day":null}']
