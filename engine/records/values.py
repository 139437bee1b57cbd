"""Cell parsers for amounts and dates, as decisions write them: one small job each, one cell at a time.

Amounts come back in yuan.  Chinese numerals (大写 壹贰叁 and ordinary 一二三) are read by
``cn2an`` one section (below 万) at a time; what it lacks is here and tested
(tests/test_values.py): the 亿/万 sections themselves (cn2an misreads 贰亿叁仟陆佰捌拾叁, which
its own ``an2cn`` writes for 200,003,683, as 1), 角 and 分 without the other (壹拾肆元零壹分),
amounts written twice (``叁仟贰佰元(3200元)整``: both forms must agree) and Arabic numbers with a
magnitude (``5.4万元``).  Text that does not say one exact amount (``约5万``, ``5万余元``,
``五万或十万``, ``1,2,3``) is refused with the reason, never guessed.

Units: a cell that names its unit (``5000元``, ``5.4万``, ``伍万元``) is read in it; a plain number
(``5``) is in yuan unless its column says otherwise — a header unit (``罚款金额(万元)``) or
``--amount-unit``.  ``with_unit`` writes that unit into every plain cell of a column, so it
travels with the values through joins and chunks and is never applied twice.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from engine.chinese import TRADITIONAL

AMOUNT_UNITS = {"元": 1, "千元": 1000, "万元": 10_000, "亿元": 100_000_000}
UNIT_SPELLINGS = {"元": "元", "yuan": "元", "千元": "千元", "万元": "万元", "万": "万元", "wan": "万元",
                  "亿元": "亿元", "亿": "亿元", "yi": "亿元"}


class Unreadable(ValueError):
    """A cell that does not say one exact value: ``zh`` and ``en`` say why."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} ({en})")
        self.zh, self.en = zh, en


# -- text clean-up -------------------------------------------------------------------------------

# 參 is 叁 (three) where amounts are written in 大写; elsewhere (参照 in citations) it is 参
_AMOUNT_FORMS = str.maketrans({"參": "叁"})
_SPACE = re.compile(r"\s+")


def clean(text: str) -> str:
    """Full-width forms as ASCII (``８０００`` → ``8000``, ``（`` → ``(``), traditional characters as
    simplified, spaces removed; spaces *between digits* (``10 000``) are refused: 1 0 could be two numbers."""
    text = unicodedata.normalize("NFKC", text).translate(_AMOUNT_FORMS).translate(TRADITIONAL).strip()
    if re.search(r"\d\s+\d", text):
        raise Unreadable("数字之间有空格，金额不确定", "a space between digits: not one exact number")
    return _SPACE.sub("", text)


# -- amounts -------------------------------------------------------------------------------------

_APPROXIMATE = re.compile(r"约|大约|大概|左右|上下|余|多|几|数[十百千万]|以上|以下|以内|不足|不到|超过|不超过|"
                          r"不低于|不少于|至少|最多|近|或|和|及|至|到|[~～]|\d[-—–]+\d")
_SEVERAL = re.compile(r"[、;/|]")
# words a decision writes around the amount (罚款人民币…, 处以…罚款, 没收违法所得…): a closed list
_PREFIX = re.compile(r"^(?:依法|处以|并处|处|人民币|RMB|CNY|¥|罚款|罚没款|没收违法所得|违法所得|违法货值金额|违法货值|货值金额|"
                     r"货值|广告费用|广告费|共收取|收取|金额|共计|合计|计|为|\((?:大写|小写)\))[:：]?", re.IGNORECASE)
_SUFFIX = re.compile(r"(?:的?罚款|人民币)$")
_LABEL = re.compile(r"^(?:大写|小写|人民币|RMB|CNY|¥|即)[:：]?", re.IGNORECASE)
_TWICE = re.compile(r"^(.+?)\((.+)\)(整|正)?$")
_MAGNITUDE = {"": 1, "千": 1000, "仟": 1000, "万": 10_000, "十万": 100_000, "百万": 1_000_000,
              "千万": 10_000_000, "亿": 100_000_000}
_ARABIC = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                     r"(千万|百万|十万|千|仟|万|亿)?([元圆])?$")
_CN_DIGITS = "零〇一二三四五六七八九壹贰叁肆伍陆柒捌玖两幺"
_CN_UNITS = "十拾百佰千仟万亿"
_CN_YUAN = re.compile(rf"^(负)?([{_CN_DIGITS}{_CN_UNITS}点]*)([元圆])([{_CN_DIGITS}角分]*)$")
_CN_PLAIN = re.compile(rf"^(负)?([{_CN_DIGITS}{_CN_UNITS}点]+)()()$")
_CN_JIAO = re.compile(rf"^(负)?()()([{_CN_DIGITS}角分]*[角分])$")
_JIAO_FEN = re.compile(rf"^零?(?:([{_CN_DIGITS}])角)?零?(?:([{_CN_DIGITS}])分)?$")


# Words that name which amount a cell holds.  A cell of one column labelled as another amount
# (``没收违法所得5000元`` in the fine column) is refused: taking its number would judge the wrong fact.
_QUANTITY_LABELS = (("没收违法所得", "confiscated_gain"), ("违法货值金额", "goods_value"), ("违法货值", "goods_value"),
                    ("货值金额", "goods_value"),
                    ("货值", "goods_value"), ("违法所得", "illegal_gain"), ("广告费用", "ad_fee"), ("广告费", "ad_fee"),
                    ("罚没款", None), ("罚款", "fine"))
_LEAD = re.compile(r"^(?:依法|处以|并处|处|共收取|收取|共计|合计)*")


# A statement that there is none (本案无违法所得, 無違法所得, 没有货值): an explicit zero, a known fact.
_NONE = re.compile(r"^(?:本案|当事人)?(?:无|沒有|没有|未有|未产生|未获得)(违法所得|货值金额|货值|广告费用|广告费|罚款)?$")
_NONE_FIELD = {"违法所得": "illegal_gain", "货值金额": "goods_value", "货值": "goods_value", "广告费用": "ad_fee",
               "广告费": "ad_fee", "罚款": "fine"}


def _labelled_as(text: str) -> tuple[bool, str | None]:
    """(whether the cell starts with a quantity label, the column it names: None for 罚没款, a total)."""
    head = _LEAD.sub("", text)
    for word, column in _QUANTITY_LABELS:
        if head.startswith(word):
            return True, column
    return False, None


def read_amount(value, column: str | None = None) -> tuple[Decimal, bool]:
    """(the amount in yuan, whether the cell names its unit); raises ``Unreadable``.

    A number with no unit (``5``, ``伍``) is taken as yuan here; ``states_unit`` False tells the
    caller a column unit applies to it.  ``column``: the amount column the cell is in, so that a
    cell labelled as another amount is refused.
    """
    if isinstance(value, (bool, np.bool_)):
        raise Unreadable("不是金额", "a yes/no value is not an amount")
    if isinstance(value, (int, np.integer)):
        return Decimal(int(value)), False
    if isinstance(value, (float, np.floating, Decimal)):
        d = Decimal(repr(float(value))) if not isinstance(value, Decimal) else value
        if not d.is_finite():
            raise Unreadable("不是有限数值", "not a finite number")
        return d, False
    text = clean(str(value))
    if not text:
        raise Unreadable("空白", "blank")
    if _APPROXIMATE.search(text):
        raise Unreadable("金额不确定", "an approximate amount or a range, not one exact amount")
    if _SEVERAL.search(text):
        raise Unreadable("不止一个金额", "more than one amount")
    none = _NONE.match(text)
    if none:
        named = _NONE_FIELD.get(none[1] or "")
        if named and column is not None and named != column:
            raise Unreadable("标注的是另一项金额", f"labelled as another amount ({named})")
        return Decimal(0), True
    labelled, names = _labelled_as(text)
    if labelled and (names is None or (column is not None and names != column)):
        raise Unreadable("标注的是另一项金额", f"labelled as another amount ({names or '罚没款, a total'})")
    text = _strip_words(text)
    twice = _TWICE.match(text)
    if twice:
        return _written_twice(twice[1] + (twice[3] or ""), twice[2])
    if text.count("。") == 1 and not text.endswith("。"):    # 人民币伍佰元整。500.00: the two forms in a row
        return _written_twice(*text.split("。"))
    return _one_amount(text.rstrip("。"))


def _written_twice(outer: str, inner: str) -> tuple[Decimal, bool]:
    """``叁仟贰佰元(3200元)整``, ``人民币250000元(大写:贰拾伍万元)``: both forms read, and they must agree."""
    while True:
        stripped = _LABEL.sub("", inner)
        if stripped == inner:
            break
        inner = stripped
    b, b_unit = _one_amount(inner)
    try:
        a, a_unit = _one_amount(outer)
    except Unreadable:
        # 万元整(10000元): a 大写 form whose leading 壹 was left out; read with it, it must still agree
        if not re.match(r"^[拾十佰百仟千万萬亿億]", _strip_words(outer)):
            raise
        a, a_unit = _one_amount("壹" + _strip_words(outer))
    if a != b:
        raise Unreadable("大写与小写金额不一致", f"the two forms disagree: {_plain(a)} ≠ {_plain(b)} yuan")
    return a, a_unit or b_unit


def _strip_words(text: str) -> str:
    while True:
        stripped = _SUFFIX.sub("", _PREFIX.sub("", text))
        if stripped == text:
            return text
        text = stripped


def _one_amount(text: str) -> tuple[Decimal, bool]:
    text = _strip_words(text)
    text = re.sub(r"(?<=[元圆角分])[整正]$", "", text)
    if not text:
        raise Unreadable("没有数额", "no number")
    m = _ARABIC.match(text)
    if m:
        try:
            number = Decimal(m[1].replace(",", ""))
        except InvalidOperation:
            raise Unreadable("不是金额", "not an amount") from None
        return number * _MAGNITUDE[m[2] or ""], bool(m[2] or m[3])
    m = _CN_YUAN.match(text) or _CN_PLAIN.match(text) or _CN_JIAO.match(text)
    if m and (m[2] or m[4]):
        return _chinese_amount(m[1], m[2], m[3], m[4])
    if "," in text:
        raise Unreadable("逗号不是千分位，金额不确定", "commas not in groups of three: not one exact number")
    raise Unreadable("不是金额", "not an amount")


def _chinese_amount(minus, number: str, yuan, fraction: str) -> tuple[Decimal, bool]:
    """大写 or ordinary: ``壹拾肆元零壹分``, ``伍万元``, ``三万``, ``柒角``."""
    if "点" in number:
        whole = _cn2an(number)
    else:
        whole = Decimal(chinese_integer(number)) if number else Decimal(0)
    if fraction:
        m = _JIAO_FEN.match(fraction)
        if not m or not (m[1] or m[2]):
            raise Unreadable("角分写法不对", f"cannot read jiao/fen '{fraction}'")
        whole += Decimal(_digit(m[1])) / 10 + Decimal(_digit(m[2])) / 100
    stated = bool(yuan or fraction or "万" in number or "亿" in number)
    return (-whole if minus else whole), stated


def _digit(ch) -> int:
    return 0 if ch is None else int(_cn2an(ch))


def chinese_integer(text: str) -> int:
    """A whole number in Chinese numerals, read by 亿 and 万 sections (each section by cn2an).

    The sections are read by position: 玖亿贰仟陆佰捌拾 (as an2cn writes 900,002,680, without the
    零) is 900,002,680.  A lone digit after 万/亿 is the spoken short form: 三万五 is 35,000.
    """
    if "亿" in text:
        high, low = text.rsplit("亿", 1)
        if not high:
            raise Unreadable("不是金额", f"'{text}' has no number before 亿")
        return chinese_integer(high) * 100_000_000 + _below_yi(low, after_yi=True)
    return _below_yi(text)


def _below_yi(text: str, after_yi: bool = False) -> int:
    """A number below 亿: ``high``万``low``, each section 0..9999."""
    if after_yi and len(text) == 1 and text in _CN_DIGITS and text not in "零〇":
        return int(_cn2an(text)) * 10_000_000                  # 三亿五: 350,000,000
    if "万" in text:
        high, low = text.split("万", 1)
        if not high.strip("零〇") or "万" in low:
            raise Unreadable("不是金额", f"cannot read '{text}'")
        if len(low) == 1 and low in _CN_DIGITS and low not in "零〇":
            if any(u in high for u in "百佰千仟"):     # 三百万五: 3,005,000 or 3,050,000? not guessed
                raise Unreadable("口语简写金额不确定", f"'{text}': a spoken short form after 百万/千万 is ambiguous")
            return _section(high) * 10_000 + int(_cn2an(low)) * 1000   # 三万五: 35,000
        return _section(high) * 10_000 + _section(low)
    return _section(text)


def _section(text: str) -> int:
    """0..9999 in Chinese numerals, read by cn2an; empty (or only 零) is 0."""
    text = text.lstrip("零〇")
    if not text:
        return 0
    n = _cn2an(text)
    if n != int(n) or not 0 <= n < 10_000:
        raise Unreadable("不是金额", f"cannot read '{text}'")
    return int(n)


def _cn2an(text: str) -> Decimal:
    import cn2an
    try:
        out = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError, IndexError):
        raise Unreadable("中文数字写法不对", f"cannot read the Chinese numeral '{text}'") from None
    return Decimal(str(out))


def _plain(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")


def states_unit(value) -> bool:
    """Whether a cell names its own unit (``5000元``, ``5万``); False for plain numbers and unreadable text."""
    try:
        return read_amount(value)[1]
    except Unreadable:
        return False


# 货值金额无法计算 / 广告费用无法计算: the amount exists but cannot be worked out (not zero, not blank)
_UNCOMPUTABLE = re.compile(r"无法计算|无法确定|难以计算|不能计算|无法核定|无法核实|无法查清|无法认定")
UNCOMPUTABLE = "__uncomputable__"


def is_uncomputable(value) -> bool:
    """A cell saying its amount cannot be computed (``涉案货值无法计算，按照货值金额不足一万元论处``)."""
    return isinstance(value, str) and bool(_UNCOMPUTABLE.search(clean(value)))


def parse_amount(value, column: str | None = None) -> tuple[float, str | None]:
    """(yuan as a float, None) or (NaN, the reason, Chinese first) — the shape ``Parsed`` takes."""
    try:
        d = read_amount(value, column)[0]
    except Unreadable as e:
        return np.nan, f"{e.zh} ({e.en}) — not a number: '{_clip(str(value))}'"
    return float(d), None


def amount_unit(name: str) -> str:
    """A unit as given to ``--amount-unit`` (元, 千元, 万元, 亿元; also yuan/wan), as its key in AMOUNT_UNITS."""
    key = UNIT_SPELLINGS.get(str(name).strip().lower()) or UNIT_SPELLINGS.get(str(name).strip())
    if key is None:
        raise ValueError(f"不认识的金额单位 (unknown amount unit) '{name}': use 元, 千元, 万元 or 亿元")
    return key


_HEADER_UNIT = re.compile(r"^(.*?)\s*[(（]\s*(?:单位\s*[:：]\s*)?(元|千元|万元|亿元)\s*[)）]\s*$")


def header_unit(header) -> tuple[str, str] | None:
    """(the header without its unit, the unit) for ``罚款金额(万元)``, ``货值（单位：万元）``; else None."""
    if not isinstance(header, str):
        return None
    m = _HEADER_UNIT.match(header)
    return (m[1], m[2]) if m and m[1].strip() else None


def with_unit(series: pd.Series, unit: str) -> pd.Series:
    """The column with ``unit`` written into each plain-number cell (``5`` → ``5万元``).

    Cells naming their own unit (``5000元``), blank and unreadable cells are left as they are
    (the validation reports the unreadable ones).  Worked out once per distinct value.
    """
    if unit == "元" or not len(series):
        return series
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    out = [_with_unit_cell(u, unit) for u in np.asarray(uniques, dtype=object).tolist()]
    table = np.array(out + [None], dtype=object)
    return pd.Series(table[codes], index=series.index, dtype=object, name=series.name)


def _with_unit_cell(value, unit: str):
    if isinstance(value, (bool, np.bool_)):
        return value
    if isinstance(value, (int, np.integer, float, np.floating, Decimal)):
        d = Decimal(int(value)) if isinstance(value, (int, np.integer)) else (
            value if isinstance(value, Decimal) else Decimal(repr(float(value))))
        return format(d, "f") + unit if d.is_finite() else value
    try:
        _, stated = read_amount(value)
    except Unreadable:
        return value
    return value if stated else str(value).strip() + unit


# -- dates ---------------------------------------------------------------------------------------

_TIME_WORD = r"(?:T|上午|下午|中午|晚上|凌晨|早上)"
_TIME = (r"(?:(?:T|上午|下午|中午|晚上|凌晨|早上)?\d{1,2}(?:[:时点]\d{0,2}分?(?::?\d{1,2}(?:\.\d+)?秒?)?)"
         r"(?:许|左右)?|许)?")
# Right after the day's digits a time needs a separator (T, 上午 …): 2024-3-110:00 is not read as the 11th.
_TIME_AFTER_DIGITS = (rf"(?:{_TIME_WORD}\d{{1,2}}(?:[:时点]\d{{0,2}}分?(?::?\d{{1,2}}(?:\.\d+)?秒?)?)"
                      r"(?:许|左右)?)?")
_DATE = re.compile(rf"^(\d{{4}})[-/.年](\d{{1,2}})[-/.月](\d{{1,2}})(?:[日号]{_TIME}|{_TIME_AFTER_DIGITS})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_ONLY = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?(?:份)?$")
_CN_DATE = re.compile(r"^([\d零〇一二三四五六七八九]{4})年([\d零〇一二三四五六七八九十]{1,3})月"
                      rf"(?:([\d零〇一二三四五六七八九十]{{1,3}})[日号]{_TIME})?$")
_CN_YEAR_DIGITS = str.maketrans("零〇一二三四五六七八九", "00123456789")

MONTH_ONLY = "只有年月，日期不确定 (only year and month: the day is unknown)"


class MonthOnly(Unreadable):
    """A known month without its day (``2021-08``, ``2018年9月``): a stretch of days, not one day."""

    def __init__(self, year: int, month: int):
        super().__init__("只有年月，日期不确定", "only year and month: the day is unknown")
        self.first = dt.date(year, month, 1)
        self.last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1))


def month_of(value) -> tuple[dt.date, dt.date] | None:
    """(first day, last day) of a cell that gives only a year and a month, else None."""
    try:
        read_date(value)
    except MonthOnly as e:
        return e.first, e.last
    except Unreadable:
        return None
    return None


def read_date(value) -> dt.date | None:
    """The date of a cell (None for blank); raises ``Unreadable``.  A time after the date is
    dropped (``2022年9月27日13时11分许``); a year and month alone is refused (``MONTH_ONLY``)."""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value).strip()
    if not raw:
        return None
    text = unicodedata.normalize("NFKC", raw).translate(TRADITIONAL)
    text = re.sub(r"(?<=\d)\s+(?=\d{1,2}[:时点])", "T", text)   # 2024-03-05 10:00: day, then time
    if re.search(r"\d\s+\d", text):
        raise Unreadable("日期的数字被空格隔开，日期不确定", "digits of the date split by a space: not one date")
    text = _SPACE.sub("", text)
    m = _DATE.match(text) or _COMPACT.match(text)
    if m:
        return _calendar_date(raw, int(m[1]), int(m[2]), int(m[3]))
    m = _CN_DATE.match(text)
    if m:
        year = int(m[1].translate(_CN_YEAR_DIGITS))
        if m[3] is None:
            month = _small(m[2])
            if 1 <= month <= 12:
                raise MonthOnly(year, month)
            raise Unreadable("不是日期", f"not a date: '{_clip(raw)}'")
        return _calendar_date(raw, year, _small(m[2]), _small(m[3]))
    if re.search(r"至|到|和|及|、|期间|~", text):
        raise Unreadable("不止一个日期或是一段期间", f"several dates or a period: '{_clip(raw)}'; not a date")
    m = _MONTH_ONLY.match(text)
    if m and 1 <= int(m[2]) <= 12:
        raise MonthOnly(int(m[1]), int(m[2]))
    raise Unreadable("不是日期", f"not a date: '{_clip(raw)}'; use 2024-03-05 or 2024年3月5日")


def _small(text: str) -> int:
    """A month or day: ``05``, ``5``, ``五``, ``十二``, ``三十一``."""
    return int(text) if text.isdigit() else int(_cn2an(text))


def _calendar_date(raw: str, y: int, m: int, d: int) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise Unreadable("不是有效日期", f"not a calendar date: '{_clip(raw)}'") from None


def parse_date(value) -> tuple[np.datetime64, str | None]:
    """(the day, None) or (NaT, the reason) — the shape ``Parsed`` takes."""
    try:
        day = read_date(value)
    except Unreadable as e:
        return np.datetime64("NaT"), f"{e.zh} ({e.en})"
    return (np.datetime64(day, "D") if day is not None else np.datetime64("NaT")), None


def _clip(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
