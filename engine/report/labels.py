"""Chinese words for what the review files hold in codes and keys, so that no cell or table a person
reads shows JSON, an English key or a bare code.

One table for every report (workbooks, the HTML report): the same value reads the same way
everywhere, and a missing department is always ``（未填写部门）``.
"""
from __future__ import annotations

import datetime as dt
import math

from engine.findings import CODES
from engine.records.kinds import COMPLAINT_KINDS, KINDS, RECORD_KIND
from engine.records.schema import FACTORS, HARMS, PARTY_TYPES, PROCEDURES, SANCTION_ZH
from engine.types import FieldType

MISSING_DEPARTMENT = "（未填写部门）"
# what the summary and older outputs write for "no department"
_NO_DEPARTMENT = {None, "", "(未填)", "（未填）", MISSING_DEPARTMENT}

CATEGORY_ZH = {"overreach": "乱作为", "inaction": "不作为", "leniency": "罚人情款", "procedure": "程序违法"}
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
CERTAINTY_ZH = {"definite": "确定", "possible": "可能"}
STATUS_ZH = {"evaluated": "已审查", "rejected": "拒收"}
DEADLINE_STATUS_ZH = {"met": "按期", "overdue": "逾期", "open": "未届满"}
KIND_ZH = {k: s.zh for k, s in KINDS.items()}
UNIT_ZH = {"working_days": "个工作日", "calendar_days": "日", "days": "日"}

# keys of facts / expected / actual that are not record columns
_EXTRA_LABELS = {
    "statutory_min": "法定最低罚款", "statutory_max": "法定最高罚款",
    "lawful_fine_min": "裁量阶次最低罚款", "lawful_fine_max": "裁量阶次最高罚款",
    "tiers": "裁量阶次", "base_period": "基本期限", "days": "法定期限（日）", "deadline": "期限届满日",
    "decide_by": "应作出决定日期", "departments_holding": "清单所列部门", "discover_by": "应发现日期",
    "extension_days": "延长期限（工作日）", "fee": "法定收费", "hearing_notice_required": "应告知听证",
    "large_amount_threshold": "较大数额标准", "max_fine": "最高罚款", "min_officers": "最少执法人员",
    "period": "期限", "publish_by": "应公示日期", "requirement": "要求", "retained_intermediaries": "保留的中介服务",
    "retained_preconditions": "保留的前置条件", "sanctions_allowed": "可以给予的处罚种类", "unit": "计算单位",
    "working_days": "期限（工作日）", "years": "追责时效（年）", "also_fined_in": "已在以下案件罚款",
    "as_of": "审查基准日", "catalogue": "审批目录", "closed": "办结日期", "days_late": "逾期天数",
    "deemed_approved": "视为准予许可", "late": "逾期工作日", "power_list": "权力清单",
    "unlisted_intermediaries": "目录外中介服务", "unlisted_preconditions": "目录外前置条件",
    "confiscated_gain": "没收违法所得金额", "fine": "罚款金额", "officers_count": "执法人员人数",
    "item_listed": "目录内事项", "statutory_limit_wd": "法定时限（工作日）", "committed_limit_wd": "承诺时限（工作日）",
    "deemed_approval": "超时默认", "fee_basis": "收费依据", "provision": "适用条款", "provision_version": "条款版本",
    "decision_no": "决定书文号",
}
_MONEY = {"statutory_min", "statutory_max", "lawful_fine_min", "lawful_fine_max", "fee", "large_amount_threshold",
          "max_fine", "fine", "confiscated_gain"}
_DATES = {"deadline", "decide_by", "discover_by", "publish_by", "as_of", "closed"}
_CODED = {"sanctions": SANCTION_ZH, "sanctions_allowed": SANCTION_ZH, "factors": {k: v[0] for k, v in FACTORS.items()},
          "harm": {k: v[0] for k, v in HARMS.items()}, "party_type": {k: v[0] for k, v in PARTY_TYPES.items()},
          "procedure": {k: v[0] for k, v in PROCEDURES.items()}, "unit": UNIT_ZH,
          "kind": {v[0]: k for k, v in COMPLAINT_KINDS.items()}, "record_kind": KIND_ZH}


def _field_tables():
    labels, money, dates = dict(_EXTRA_LABELS), set(_MONEY), set(_DATES)
    for schema in KINDS.values():
        for c in schema.columns:
            labels.setdefault(c.name, c.zh)
            if c.money:
                money.add(c.name)
            if c.type == FieldType.DATE:
                dates.add(c.name)
    labels.setdefault(RECORD_KIND.name, RECORD_KIND.zh)
    return labels, money, dates


FIELD_ZH, MONEY_FIELDS, DATE_FIELDS = _field_tables()


def department(value) -> str:
    """The one spelling of a department in every report; no department reads ``（未填写部门）``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING_DEPARTMENT
    text = str(value).strip()
    return MISSING_DEPARTMENT if text in _NO_DEPARTMENT or text.startswith(("(未填", "（未填")) else text


def code_name(code: str) -> str:
    c = CODES.get(code)
    return c.zh if c else code


def field_name(key: str) -> str:
    return FIELD_ZH.get(key, key)


def money(value) -> str:
    """``8,000元``; cents only where there are any."""
    v = float(value)
    if v == int(v):
        return f"{int(v):,}元"
    return f"{v:,.2f}元"


def fine_range(low, high, unbounded: bool = False) -> str:
    """``50,000–100,000元``; no lawful fine reads ``不得罚款``."""
    if low is None and high is None:
        return "无上限" if unbounded else "不得罚款"
    lo = money(low or 0)[:-1]
    if high is None or unbounded:
        return f"{lo}元以上（无上限）"
    return f"{lo}–{money(high)}"


def value_text(key: str, value) -> str:
    """One value as a person reads it: amounts with 元, yes/no as 是/否, codes as their Chinese words."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (list, tuple)):
        if not value:
            return "无"
        return "、".join(value_text(key, v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{field_name(k)} {value_text(k, v)}" for k, v in value.items())
    if key in MONEY_FIELDS and isinstance(value, (int, float)):
        return money(value)
    table = _CODED.get(key)
    if table and isinstance(value, str) and value in table:
        return table[value]
    if isinstance(value, float) and value == int(value):
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return str(value)


def details_text(values: dict | None, kind: str = "") -> str:
    """A facts / expected / actual object as one line: ``货值金额 8,000元；法定幅度 50,000–100,000元``.

    Pairs that belong together read as one range; a period reads with its unit."""
    if not values:
        return ""
    v = dict(values)
    parts = []
    if "statutory_min" in v or "statutory_max" in v:
        parts.append("法定幅度 " + fine_range(v.pop("statutory_min", None), v.pop("statutory_max", None)))
    if "lawful_fine_min" in v or "lawful_fine_max" in v:
        parts.append("裁量阶次幅度 " + fine_range(v.pop("lawful_fine_min", None), v.pop("lawful_fine_max", None)))
    if "period" in v:
        unit = UNIT_ZH.get(v.pop("unit", "working_days"), "日")
        parts.append(f"期限 {v.pop('period')}{unit}")
    if kind == "actual" and isinstance(v.get("officers"), int):
        parts.append(f"执法人员人数 {v.pop('officers')}人")
    for key, val in v.items():
        if key in ("late", "base_period", "extension_days", "excluded_days") and isinstance(val, int):
            parts.append(f"{field_name(key)} {val}")
            continue
        parts.append(f"{field_name(key)} {value_text(key, val)}")
    return "；".join(parts)


def citation_text(cs) -> str:
    """Citations as one line of text.  A policy document cited by its printed section (or one with
    no numbered articles) reads ``title（document number）section``."""
    parts = []
    for c in cs or []:
        if c.get("document") and (c.get("section") or c.get("article") is None):
            parts.append(f"{c['law']}（{c['document']}）{c.get('section') or ''}")
            continue
        s = f"{c['law']}第{c['article']}条"
        if c.get("paragraph"):
            s += f"第{c['paragraph']}款"
        if c.get("item"):
            s += f"第{c['item']}项"
        if c.get("document"):
            s += f"（{c['document']}）"
        parts.append(s)
    return "；".join(parts)


def iso_date(value) -> dt.date | None:
    """A date cell from an ISO string (the review files write dates so); anything else is no date."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def deadlines_text(deadlines) -> str:
    """A case's deadlines as one line: ``LIC-42 至2024-11-01 按期（2024-10-29办结）``."""
    parts = []
    for d in deadlines or []:
        status = DEADLINE_STATUS_ZH.get(d.get("status"), d.get("status") or "")
        closed = f"，{d['closed']}办结" if d.get("closed") else "，未办结"
        parts.append(f"{code_name(d.get('code') or '')}（{d.get('id')}）期限至{d.get('due')}：{status}{closed}")
    return "；".join(parts)
