"""The expression language's aggregates: typed against the related kind's own fields, evaluated by
grouping (one value per entity), windows at their edges; existing expressions unchanged."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from engine.errors import ExprError
from engine.expr import Expression, FieldType as T
from engine.expr.aggregates import AggregateContext, Related

SCHEMA = {"entity_id": T.STRING, "industry": T.STRING}
KINDS = {"penalties": {"fine": T.NUMBER, "date": T.DATE, "sanctions": T.LIST}}


def _ctx(as_of="2025-01-01"):
    pen = pd.DataFrame({"fine": [100000.0, 50000.0, 200000.0, np.nan, 7.0],
                        "date": pd.to_datetime(["2023-01-01", "2024-06-01", "2022-12-31", "2024-01-01", "2025-01-02"]),
                        "sanctions": [";warning;", ";", ";revoke_license;", ";", ";"]})
    ent = np.array([0, 0, 1, 2, 1])
    return AggregateContext({"penalties": Related(pen, ent, pen["date"].to_numpy().astype("datetime64[D]"))},
                            dt.date.fromisoformat(as_of))


FRAME = pd.DataFrame({"entity_id": ["a", "b", "c", "d"], "industry": ["x", "y", "z", "w"]})


def _eval(src, consts=None):
    e = Expression.compile(src, SCHEMA, None, None, related=KINDS, constants=consts)
    return e.evaluate(FRAME, _ctx())


def test_count_sum_max_min_exists():
    # a: 100000 on 2023-01-01 and 50000 on 2024-06-01; b: 200000 on 2022-12-31 and 7 after as-of;
    # c: a fine of unknown amount; d: nothing
    assert list(_eval("count(penalties)")) == [2, 1, 1, 0]
    assert list(_eval("sum(penalties, fine)")) == [150000, 200000, 0, 0]
    assert np.allclose(_eval("max(penalties, fine)"), [100000, 200000, np.nan, np.nan], equal_nan=True)
    assert np.allclose(_eval("min(penalties, fine)"), [50000, 200000, np.nan, np.nan], equal_nan=True)
    assert list(_eval("exists(penalties, 'revoke_license' in sanctions)")) == [False, True, False, False]


def test_window_includes_the_day_exactly_n_years_before():
    """As of 2025-01-01, years(2) starts 2023-01-01: a's fine of that day is in, b's of 2022-12-31 not."""
    assert list(_eval("count(penalties, fine >= 100000, years(2))")) == [1, 0, 0, 0]
    assert list(_eval("count(penalties, days(0))")) == [0, 0, 0, 0]
    assert list(_eval("count(penalties, months(7))")) == [1, 0, 0, 0]   # from 2024-06-01: c's 2024-01-01 out
    assert list(_eval("count(penalties, months(12))")) == [1, 0, 1, 0]  # from 2024-01-01: c's fine in


def test_constants_are_literals_and_lists():
    assert list(_eval("count(penalties, fine >= big, years(n)) >= 1", {"big": 100000, "n": 2})) == \
        [True, False, False, False]
    e = Expression.compile("industry in keys", SCHEMA, constants={"keys": ["x", "z"]})
    assert list(e.evaluate(FRAME)) == [True, False, True, False]


def test_max_of_a_date():
    got = _eval("max(penalties, date)")
    assert str(got[0])[:10] == "2024-06-01" and np.isnat(got[3])


@pytest.mark.parametrize("src, words", [
    ("count(penalties, fine)", "条件须为是/否"),
    ("sum(penalties)", "缺少要汇总的值"),
    ("sum(penalties, date)", "汇总的值须为数值"),
    ("count(penalties, nope > 1)", "未知字段 (unknown field) 'nope'"),
    ("count(penalties, years(1.5))", "期间应为"),
    ("count(penalties, years(-1))", "期间应为"),
    ("count(penalties, industry == 'x')", "未知字段 (unknown field) 'industry'"),     # entity fields do not cross
    ("count(penalties, count(penalties) > 1)", "不能再嵌套聚合"),
    ("count(penalties, true, years(2), 1)", "参数过多"),
    ("count(penalties) > 'x'", "不能与"),
])
def test_mistakes_are_expression_errors(src, words):
    with pytest.raises(ExprError) as e:
        Expression.compile(src, SCHEMA, related=KINDS)
    assert words in str(e.value)


def test_without_related_kinds_nothing_changes():
    """``max(a, b)`` is still the two-number function; ``count`` without related kinds is unknown."""
    e = Expression.compile("max(a, b) > 1", {"a": T.NUMBER, "b": T.NUMBER})
    assert list(e.evaluate(pd.DataFrame({"a": [0.0, 2.0], "b": [1.0, 0.0]}))) == [False, True]
    with pytest.raises(ExprError, match="未知函数 \\(unknown function\\) 'count'"):
        Expression.compile("count(penalties) > 1", SCHEMA)


def test_has_splits_on_list_separators():
    e = Expression.compile("has(items, 'FOOD-01')", {"items": T.STRING})
    frame = pd.DataFrame({"items": ["FOOD-01;ADV-01", "FOOD-011", None, "ADV、FOOD-01", "*"]})
    assert list(e.evaluate(frame)) == [True, False, False, True, False]
    assert e.evaluate_record({"items": "A；FOOD-01"}) is True
