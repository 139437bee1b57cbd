"""Amounts and dates as decisions write them (engine.records.values), and how columns carry a unit.

Every expected value below is worked by hand in yuan (元).
"""
import datetime as dt

import cn2an
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.records.frame import canonical_headers, normalize, with_amount_unit
from engine.records.kinds import BATCH
from engine.records.values import MONTH_ONLY, Unreadable, parse_amount, read_amount, read_date

# -- amounts: each form, in yuan -----------------------------------------------------------------

AMOUNTS = [
    ("5.4万元", 54_000),                       # 5.4 × 10,000
    ("0.54万", 5_400),                         # 0.54 × 10,000
    ("1万元", 10_000),
    ("10,000元", 10_000),                      # thousands separator
    ("人民币柒万元整", 70_000),                 # 柒万 = 7 × 10,000; 整 closes the amount
    ("捌仟元", 8_000),
    ("伍万元", 50_000),
    ("８０００", 8_000),                        # full-width digits
    (" 5 万 元 ", 50_000),                      # stray spaces
    ("人民币壹拾肆元零壹分", 14.01),             # 14 元 + 0 角 + 1 分 = 14.01
    ("伍角", 0.5),
    ("壹元伍角贰分", 1.52),
    ("叁仟贰佰元(3200元)整", 3_200),            # written twice, the two agree
    ("柒拾伍万元(¥:750000)整", 750_000),        # 柒拾伍万 = 75 × 10,000
    ("柒拾伍万元（￥：750000）整", 750_000),     # full-width brackets and yen sign
    ("人民币250000元(大写:贰拾伍万元)", 250_000),
    ("2800元(大写贰仟捌佰元整)", 2_800),         # 贰仟捌佰 = 2,000 + 800
    ("三万元", 30_000),                         # ordinary numerals
    ("9.5萬元", 95_000),                        # traditional 萬
    ("180.2334万元", 1_802_334),                # 180.2334 × 10,000, exactly
    ("罚款50000", 50_000),
    ("2078172.55元", 2_078_172.55),
    ("人民币6000元", 6_000),
    ("壹佰零伍万元", 1_050_000),                 # 105 × 10,000
    ("一百零五万", 1_050_000),
    ("十万", 100_000),
    ("三万五", 35_000),                         # spoken short form: 三万五千
    ("三万零五", 30_005),                       # the 零 makes it five yuan
    ("玖亿贰仟陆佰捌拾元", 900_002_680),         # as an2cn writes it (no 零 after 亿): read by position
    ("贰亿叁仟陆佰捌拾叁", 200_003_683),         # cn2an alone reads this as 1
    ("壹万亿元", 10 ** 12),
    ("1.2亿元", 120_000_000),
    ("75000", 75_000),
    ("1e5", 100_000),                           # what the column-wise read accepts, the cell parser does too
]


@pytest.mark.parametrize("text,yuan", AMOUNTS)
def test_each_written_form_reads_as_its_amount_in_yuan(text, yuan):
    value, error = parse_amount(text)
    assert error is None and value == pytest.approx(yuan, abs=1e-9)


@pytest.mark.parametrize("text,stated", [("5", False), ("８０００", False), ("10,000", False), ("罚款50000", False),
                                         ("5元", True), ("5万", True), ("伍万元", True), ("三万五", True),
                                         ("伍", False), ("叁仟贰佰元(3200元)整", True)])
def test_a_cell_says_whether_it_names_its_unit(text, stated):
    assert read_amount(text)[1] is stated


REJECTED = [
    ("约5万", "金额不确定"),
    ("5万余元", "金额不确定"),
    ("五万或十万", "金额不确定"),
    ("5-10万元", "金额不确定"),
    ("5万元左右", "金额不确定"),
    ("1,2,3", "逗号不是千分位"),
    ("1,0000", "逗号不是千分位"),
    ("10 000", "数字之间有空格"),
    ("5万、3万", "不止一个金额"),
    ("2800元(大写贰仟玖佰元整)", "大写与小写金额不一致"),
    ("叁仟贰佰元(3300元)整", "大写与小写金额不一致"),
    ("abc", "不是金额"),
    ("人民币", "没有数额"),
    ("3万5千元", "不是金额"),
]


@pytest.mark.parametrize("text,reason", REJECTED)
def test_text_that_is_not_one_exact_amount_is_refused_chinese_first(text, reason):
    value, error = parse_amount(text)
    assert np.isnan(value)
    assert error.startswith(reason) and f"not a number: '{text}'" in error


def test_the_two_forms_disagreeing_names_both():
    with pytest.raises(Unreadable, match="2800 ≠ 2900"):
        read_amount("2800元(大写贰仟玖佰元整)")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10 ** 9))
def test_any_integer_written_in_daxie_reads_back(n):
    assert read_amount(cn2an.an2cn(n, "up") + "元")[0] == n
    assert read_amount(cn2an.an2cn(n, "low"))[0] == n


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10 ** 9), st.integers(0, 99))
def test_daxie_yuan_jiao_fen_reads_back(n, cents):
    jiao, fen = divmod(cents, 10)
    text = cn2an.an2cn(n, "up") + "元"
    if cents:
        text += (cn2an.an2cn(jiao, "up") + "角" if jiao else "零") + (cn2an.an2cn(fen, "up") + "分" if fen else "")
    else:
        text += "整"
    assert read_amount(text)[0] * 100 == n * 100 + cents


# -- amount columns: header unit, --amount-unit, rejections --------------------------------------

def frame(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"case_id": [f"C{i}" for i in range(n)], **columns})


def test_a_header_unit_applies_to_plain_numbers_and_a_cell_naming_its_unit_wins():
    cells = ["5", "5万元", "5000元", "0.54", "伍万元", "10,000", "约5万", None]
    records = normalize(frame(**{"罚款金额(万元)": pd.array(cells, dtype="str")}))
    got = records.frame["fine"].tolist()
    # 5 万元; 5万元 is not 5万万; 5000元 names yuan; 0.54 万元; 伍万元; 10,000 万元
    assert got[:6] == [50_000, 50_000, 5_000, 5_400, 50_000, 100_000_000]
    assert np.isnan(got[6]) and np.isnan(got[7])
    assert records.rejections.text(6).startswith("罚款金额 (fine)：金额不确定") and "约5万" in records.rejections.text(6)
    assert "fine" not in records.rejections.text(7)     # blank: not recorded, not unreadable


@pytest.mark.parametrize("header", ["货值（万元）", "货值金额 (万元)", "货值金额（单位：万元）"])
def test_header_unit_spellings(header):
    records = normalize(frame(**{header: ["1.5"]}))
    assert records.frame["goods_value"].tolist() == [15_000]


def test_a_native_number_column_with_a_header_unit():
    records = normalize(frame(**{"罚款金额(万元)": [5.4, 0.54, np.nan], "违法所得(元)": [12.5, 3, 4]}))
    assert records.frame["fine"].tolist()[:2] == [54_000, 5_400] and np.isnan(records.frame["fine"][2])
    assert records.frame["illegal_gain"].tolist() == [12.5, 3, 4]


def test_a_unit_header_on_a_field_that_is_not_an_amount_is_not_read():
    records = normalize(frame(**{"两年内违法次数(万元)": ["1"]}))
    assert "prior_violations_2y" not in records.frame.columns or np.isnan(records.frame["prior_violations_2y"][0])


def test_amount_unit_for_a_whole_file():
    raw = frame(**{"罚款金额": ["5", "5000元"], "货值金额": [0.5, 1.0], "两年内违法次数": ["2", "3"],
                   "没收违法所得金额(元)": ["300", "400"]})
    records = normalize(raw, amount_unit="万元")
    assert records.frame["fine"].tolist() == [50_000, 5_000]
    assert records.frame["goods_value"].tolist() == [5_000, 10_000]
    assert records.frame["prior_violations_2y"].tolist() == [2, 3]        # a count, not an amount
    assert records.frame["confiscated_gain"].tolist() == [300, 400]       # its header names 元
    assert normalize(raw).frame["fine"].tolist() == [5, 5_000]            # default: yuan


def test_the_unit_survives_a_join_and_is_never_applied_twice():
    a = canonical_headers(frame(**{"罚款金额(万元)": ["5", "3000元"]}), BATCH)     # as read_inputs joins files
    b = canonical_headers(frame(**{"罚款金额": ["7"]}), BATCH)
    joined = pd.concat([a, b], ignore_index=True)
    joined["case_id"] = ["A", "B", "C"]
    assert normalize(joined).frame["fine"].tolist() == [50_000, 3_000, 7]
    # then --amount-unit 万元 for the rest: only the plain 7 takes it
    assert normalize(with_amount_unit(joined, "万元")).frame["fine"].tolist() == [50_000, 3_000, 70_000]
    twice = normalize(with_amount_unit(with_amount_unit(frame(罚款金额=["2"]), "万元"), "万元"))
    assert twice.frame["fine"].tolist() == [20_000]


def test_unknown_amount_unit_is_refused():
    with pytest.raises(ValueError, match="不认识的金额单位"):
        with_amount_unit(frame(罚款金额=["1"]), "美元")


def test_amount_cells_in_a_text_column_are_read_once_per_distinct_value_and_rejected_with_reasons():
    cells = ["75000", "5.4万元", "人民币伍万元整", "1,2,3", "2800元(大写贰仟玖佰元整)", "75000", "5.4万元", "-5"]
    records = normalize(frame(罚款金额=pd.array(cells, dtype="str")))
    got = records.frame["fine"].tolist()
    assert got[:3] == [75_000, 54_000, 50_000] and got[5:7] == [75_000, 54_000]
    text = records.rejections.text
    assert "逗号不是千分位" in text(3) and "not a number: '1,2,3'" in text(3)
    assert "大写与小写金额不一致" in text(4) and "2800 ≠ 2900" in text(4)
    assert "negative amount" in text(7)
    assert not any("fine" in text(i) for i in (0, 1, 2, 5, 6))


def test_mixed_json_cells():
    raw = frame(罚款金额=pd.Series([75000, "伍万元", 5.5, None], dtype=object))
    assert normalize(raw).frame["fine"].tolist()[:3] == [75_000, 50_000, 5.5]


# -- dates ---------------------------------------------------------------------------------------

DATES = [
    ("2024.3.5", dt.date(2024, 3, 5)),
    ("2024/03/05", dt.date(2024, 3, 5)),
    ("2024-03-05", dt.date(2024, 3, 5)),
    ("二〇二四年三月五日", dt.date(2024, 3, 5)),
    ("二〇二四年十二月三十一日", dt.date(2024, 12, 31)),
    ("2021年06月07日", dt.date(2021, 6, 7)),
    ("2022 年 5月 17日", dt.date(2022, 5, 17)),
    ("20200411", dt.date(2020, 4, 11)),
    ("2024.03.04", dt.date(2024, 3, 4)),
    ("２０２４年３月５日", dt.date(2024, 3, 5)),
    ("2024年3月5号", dt.date(2024, 3, 5)),
    ("2022年9月27日13时11分许", dt.date(2022, 9, 27)),
    ("2022年9月27日 下午3时", dt.date(2022, 9, 27)),
    ("2024-03-05 10:00:00", dt.date(2024, 3, 5)),
    ("2024-03-05T10:00", dt.date(2024, 3, 5)),
    ("2024-3-5 9:05", dt.date(2024, 3, 5)),
]


@pytest.mark.parametrize("text,day", DATES)
def test_each_date_form(text, day):
    assert read_date(text) == day


@pytest.mark.parametrize("text,reason", [
    ("2021-08", MONTH_ONLY), ("2021年8月", MONTH_ONLY), ("二〇二一年八月", MONTH_ONLY), ("2021.8", MONTH_ONLY),
    ("2024-02-30", "not a calendar date: '2024-02-30'"), ("去年", "not a date"), ("2021-13", "not a date"),
    ("2024年3月上旬", "not a date"),
])
def test_dates_refused_with_their_reason(text, reason):
    with pytest.raises(Unreadable) as e:
        read_date(text)
    assert reason in str(e.value)


def test_date_column_rejections_name_the_column():
    records = normalize(frame(立案日期=["2021-08", "2024.3.5", "二〇二四年三月五日"]))
    assert records.rejections.text(0).startswith(f"立案日期 (filed_date)：{MONTH_ONLY}")
    assert records.frame["filed_date"].tolist()[1:] == [pd.Timestamp(2024, 3, 5)] * 2


def test_a_month_only_act_date_is_a_known_month():
    """2021-08 / 2018年9月 for the act: an unknown day within a known month (issue 16 §3), not a rejection."""
    records = normalize(frame(违法行为发生日期=["2021-08", "2018年9月", "2024.3.5"]))
    assert not records.rejections.mask.any()
    f = records.frame
    assert f["violation_date"].isna().tolist() == [True, True, False]
    assert f["__first__violation_date"].tolist()[:2] == [pd.Timestamp(2021, 8, 1), pd.Timestamp(2018, 9, 1)]
    assert f["__last__violation_date"].tolist()[:2] == [pd.Timestamp(2021, 8, 31), pd.Timestamp(2018, 9, 30)]


# -- the published decisions of tests/data/real_decisions.yaml -----------------------------------

@pytest.mark.parametrize("text,yuan", [
    ("罰款人民幣壹萬元整", 10_000), ("罰款人民幣9.5萬元整", 95_000), ("处以罚款5000元", 5_000),
    ("500元罚款", 500), ("人民币30万元罚款", 300_000), ("罚款贰拾壹万元人民币", 210_000),
    ("罚款(大写)三万元", 30_000), ("依法处以2800元(大写贰仟捌佰元整)罚款", 2_800),
    ("人民币：10000元（壹万元整）", 10_000), ("没收违法所得1600元(壹仟陆佰元整)", 1_600),
    ("共收取廣告費13464.04元", 13_464.04), ("万元整(10000元)", 10_000), ("罰款人民幣壹佰貳拾伍萬元", 1_250_000), ("0.000000", 0),
])
def test_amounts_as_the_published_decisions_write_them(text, yuan):
    assert parse_amount(text) == (pytest.approx(yuan), None)


def test_every_amount_of_the_published_decisions_reads_but_the_ones_that_state_none():
    import yaml

    from conftest import ROOT
    refused = {"涉案货值无法计算，按照货值金额不足一万元论处",
               "没收当事人逾期未退的多收价款1126812.8元"}     # no amount, or free text containing 多
    seen = 0
    for d in yaml.safe_load((ROOT / "tests/data/real_decisions.yaml").read_text(encoding="utf-8")):
        for field in ("goods_value", "illegal_gain", "ad_fee", "fine", "confiscated_gain"):
            text = d["facts"].get(field)
            if text is None:
                continue
            seen += 1
            value, error = parse_amount(text)
            assert (error is not None) == (text in refused), (d["id"], text, error)
    assert seen == 126          # the amounts the 97 entries state (RD-001 … RD-098)


# Found in review: readings that would judge the wrong fact or a guessed date/amount.
@pytest.mark.parametrize("cell,column,yuan", [
    ("没收违法所得5000元", "confiscated_gain", 5000),      # labelled as its own column: read
    ("货值金额8000元", "goods_value", 8000),
    ("处以罚款人民币5000元", "fine", 5000),
    ("三万五", None, 35000),                              # the spoken short form after a one-digit 万 section
])
def test_a_cell_labelled_as_its_own_amount_is_read(cell, column, yuan):
    assert read_amount(cell, column)[0] == yuan


@pytest.mark.parametrize("cell,column", [
    ("没收违法所得5000元", "fine"),                        # the confiscated gain is not the fine
    ("货值金额5000元", "fine"),
    ("罚没款5000元", "fine"),                              # a total of fine and confiscation
    ("三百万五", None),                                    # 3,005,000 or 3,050,000: not guessed
])
def test_a_cell_labelled_as_another_amount_or_ambiguous_is_refused(cell, column):
    with pytest.raises(Unreadable):
        read_amount(cell, column)


@pytest.mark.parametrize("cell", ["2024-3-1 5", "2024年3月1 5日", "2024-3-110:00"])
def test_dates_split_by_a_space_or_run_into_a_time_are_refused(cell):
    with pytest.raises(Unreadable):
        read_date(cell)


def test_a_date_with_a_separated_time_still_reads():
    assert read_date("2024-03-05 10:00") == dt.date(2024, 3, 5)
    assert read_date("2024-03-05T10:00") == dt.date(2024, 3, 5)
