"""The record kinds one batch may mix: penalty decisions and the deadline-bound kinds of issue 4.

Each kind is a ``Schema`` (columns with Chinese header aliases, required
fields, date order).  A ``record_kind`` column (or ``review --kind``) says
which schema a row is read with; ``KINDS`` is the one registry of them.
"""
from __future__ import annotations

from engine.records.schema import PENALTY, Column, Schema
from engine.types import FieldType as T

RECORD_KIND = Column("record_kind", "记录类型", T.STRING, headers=("业务类型", "类型代码"), codes={
    "penalty": ("行政处罚", "处罚"),
    "approval": ("行政许可", "许可", "审批"),
    "disclosure": ("依申请公开", "政府信息公开", "信息公开"),
    "complaint": ("投诉举报", "投诉", "举报"),
})

_CASE, _DEPARTMENT, _OFFICERS = (PENALTY.by_name[n] for n in ("case_id", "department", "officers"))
_RECEIVED = Column("received_date", "收件日期", T.DATE, headers=("申请日期", "收到申请日期", "收到日期", "接收日期"))
_EXTENSION = Column("extension_approved", "延期批准", T.BOOL, headers=("经批准延期", "延长期限"))

APPROVAL = Schema("approval", "行政许可", (
    _CASE, _DEPARTMENT, _OFFICERS,
    Column("item_code", "事项编码", T.STRING, headers=("许可事项编码",)),
    Column("item_name", "事项名称", T.STRING),
    Column("applicant", "申请人", T.STRING),
    _RECEIVED,
    Column("accepted_date", "受理日期", T.DATE),
    Column("incomplete_notice_date", "补正告知日期", T.DATE, headers=("一次性告知日期", "一次性告知")),
    Column("decided_date", "许可决定日期", T.DATE, headers=("决定日期", "审批决定日期")),
    _EXTENSION,
    Column("excluded_days", "不计入期限工作日", T.NUMBER, headers=("扣除工作日", "特别程序工作日")),
    Column("preconditions", "前置条件", T.LIST, headers=("要求的前置条件",)),
    Column("intermediaries", "中介服务", T.LIST, headers=("要求的中介服务",)),
    Column("fee_charged", "收费金额", T.NUMBER, headers=("收费",), money=True),
    Column("outcome", "办理结果", T.STRING),
    # from the approval catalogue (review --catalog), after its audit: only retained rows count
    Column("item_listed", "目录内事项", T.BOOL, derived=True),
    Column("statutory_limit_wd", "法定时限(工作日)", T.NUMBER, derived=True),
    Column("committed_limit_wd", "承诺时限(工作日)", T.NUMBER, derived=True),
    Column("deemed_approval", "超时默认", T.BOOL, derived=True),
    Column("fee_basis", "收费依据", T.STRING, derived=True),
), required=("case_id", "received_date"),
    date_order=(("received_date", "accepted_date"), ("received_date", "incomplete_notice_date"),
                ("received_date", "decided_date"), ("accepted_date", "decided_date")))

DISCLOSURE = Schema("disclosure", "依申请公开", (
    _CASE, _DEPARTMENT, _OFFICERS,
    Column("applicant", "申请人", T.STRING),
    _RECEIVED,
    Column("replied_date", "答复日期", T.DATE),
    _EXTENSION,
), required=("case_id", "received_date"), date_order=(("received_date", "replied_date"),))

COMPLAINT_KINDS = {"投诉": ("complaint",), "举报": ("report",)}

COMPLAINT = Schema("complaint", "投诉举报", (
    _CASE, _DEPARTMENT, _OFFICERS,
    Column("kind", "投诉举报类别", T.STRING, codes=COMPLAINT_KINDS, headers=("类别", "投诉或举报")),
    _RECEIVED,
    Column("accepted_date", "受理日期", T.DATE),
    Column("verified_date", "核查日期", T.DATE, headers=("核查完毕日期",)),
    Column("handled_date", "办结日期", T.DATE, headers=("处理完毕日期", "处理日期")),
    _EXTENSION,
), required=("case_id", "received_date", "kind"),
    date_order=(("received_date", "accepted_date"), ("received_date", "verified_date"),
                ("received_date", "handled_date")))

KINDS: dict[str, Schema] = {s.kind: s for s in (PENALTY, APPROVAL, DISCLOSURE, COMPLAINT)}


def kind_schema(kind: str) -> Schema:
    return KINDS[kind]


def columns_of_other_kinds(kind: str) -> frozenset:
    """Header spellings another kind reads: in a mixed file they are not this kind's extra columns."""
    out = set()
    for other, schema in KINDS.items():
        if other != kind:
            out.update(schema.header_aliases)
    out.update((RECORD_KIND.name, RECORD_KIND.zh, *RECORD_KIND.headers))
    return frozenset(out)


def _batch_schema() -> Schema:
    """Every column of every kind (first spelling wins), to join files of several kinds on canonical names.

    Importing this module asserts that no header spelling means two different fields across kinds.
    """
    columns: dict[str, Column] = {}
    seen: dict[str, str] = {}
    for schema in KINDS.values():
        for spelling, name in schema.header_aliases.items():
            if seen.setdefault(spelling, name) != name:
                raise AssertionError(f"header '{spelling}' means {seen[spelling]} and {name}")
        for c in schema.columns:
            if c.name in columns and not c.derived:
                old = columns[c.name]
                columns[c.name] = Column(c.name, old.zh, old.type, money=old.money, headers=tuple(dict.fromkeys(
                    (*old.headers, c.zh, *c.headers))))
            elif not c.derived:
                columns[c.name] = c
    columns[RECORD_KIND.name] = RECORD_KIND
    return Schema("batch", "混合", tuple(columns.values()), required=())


BATCH = _batch_schema()
