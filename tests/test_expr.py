"""The expression language: parse errors carry positions, types are checked, nothing is eval-ed,
and the column back end agrees with the one-record back end."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ExprError
from engine.expr import Expression, compile_filter
from engine.types import FieldType as T

SCHEMA = {"goods_value": T.NUMBER, "serious": T.BOOL, "factors": T.LIST, "party_type": T.STRING,
          "violation_date": T.DATE}


def test_parse_error_points_at_the_column():
    with pytest.raises(ExprError) as e:
        compile_filter("goods_value >= 10000 and", SCHEMA)
    assert e.value.column == 25
    assert "expected a value" in e.value.reason


@pytest.mark.parametrize("source, message", [
    ("goods_value > 'a'", "数值不能与文本比较"),
    ("unknown_field == 1", "未知字段 (unknown field) 'unknown_field'"),
    ("serious > true", "不能用于是/否值"),
    ("goods_value + 1", "must give bool"),
    ("__import__('os')", "未知函数 (unknown function) '__import__'"),
    ("goods_value.real > 1", "unexpected character '.'"),
    ("party_type == 'persons'", "'persons' 不是 party_type 的可用值"),
    ("1 < goods_value < 3", "chained comparisons"),
])
def test_rejected_expressions(source, message):
    with pytest.raises(ExprError) as e:
        compile_filter(source, SCHEMA, {"party_type": {"individual", "organization"}})
    assert message in str(e.value)


def test_chinese_keywords_and_membership():
    e = compile_filter("serious 或 'first_offense' in factors", SCHEMA)
    assert e.evaluate_record({"serious": False, "factors": ["first_offense"]}) is True
    assert e.evaluate_record({"serious": False, "factors": []}) is False


def test_missing_values_never_satisfy_a_comparison():
    e = compile_filter("goods_value < 10000", SCHEMA)
    frame = pd.DataFrame({"goods_value": [np.nan, 9999.99, 10000.0]})
    assert e.evaluate(frame).tolist() == [False, True, False]
    assert e.evaluate_record({"goods_value": None}) is False


def test_date_literals_are_folded():
    e = compile_filter("violation_date < date('2021-09-01')", SCHEMA)
    frame = pd.DataFrame({"violation_date": pd.to_datetime(["2021-08-31", "2021-09-01", None])})
    assert e.evaluate(frame).tolist() == [True, False, False]
    with pytest.raises(ExprError):
        compile_filter("violation_date < date('2021-02-30')", SCHEMA)


numbers = st.one_of(st.none(), st.sampled_from([0, 9999.99, 10000, 10000.01, 30000]))
rows = st.fixed_dictionaries({
    "goods_value": numbers,
    "serious": st.booleans(),
    "factors": st.lists(st.sampled_from(["a", "b", "c"]), unique=True, max_size=3),
    "party_type": st.one_of(st.none(), st.sampled_from(["individual", "organization"])),
})
expressions = st.sampled_from([
    "goods_value >= 10000 and not serious",
    "goods_value < 10000 or 'a' in factors",
    "not ('b' in factors) and party_type == 'individual'",
    "party_type in ['individual'] or goods_value * 2 > 20000",
    "is_null(goods_value) or party_type != 'organization'",
    "coalesce(goods_value, 0) >= 10000",
    "'c' not in factors and min(goods_value, 20000) == 10000",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(rows, min_size=1, max_size=20), expressions)
def test_column_and_record_back_ends_agree(records, source):
    e = Expression.compile(source, SCHEMA)
    frame = pd.DataFrame({
        "goods_value": [np.nan if r["goods_value"] is None else float(r["goods_value"]) for r in records],
        "serious": np.array([r["serious"] for r in records], dtype=bool),
        "factors": pd.Series([";" + ";".join(r["factors"]) + ";" if r["factors"] else "" for r in records], dtype="str"),
        "party_type": pd.Series([r["party_type"] for r in records], dtype="str"),
    })
    vector = e.evaluate(frame).tolist()
    scalar = [bool(e.evaluate_record(r)) for r in records]
    assert vector == scalar
