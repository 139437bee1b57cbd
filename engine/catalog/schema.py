"""The approval catalogue contract: canonical columns, Chinese header aliases, types and codes.

One row per (item, precondition or intermediary service).  The table below is
the single source for the reader (header aliases), the column-wise validation
and the expression schema the clean-up rules are compiled against.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.types import FieldType as T


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: T
    required: bool = False
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)   # code -> other accepted spellings

    def code_of(self) -> dict[str, str]:
        """Every accepted spelling (and its lower case) -> the code."""
        out = {}
        for code, spellings in self.codes.items():
            for s in (code, *spellings):
                out[s] = code
                out[s.lower()] = code
        return out

ITEM_TYPES = {"行政许可": ("行政许可事项", "licensing", "permit"),
              "非行政许可审批": ("非行政许可审批事项", "non_licensing_approval"),
              "内部审批": ("政府内部审批", "内部审批事项", "internal_approval")}
BASIS_LEVELS = {"法律": ("law",), "行政法规": ("administrative_regulation",),
                "国务院决定": ("state_council_decision",), "地方性法规": ("local_regulation",),
                "省级政府规章": ("省、自治区、直辖市人民政府规章", "省级人民政府规章", "provincial_rule"),
                "部门规章": ("ministerial_rule",), "规范性文件": ("其他规范性文件", "normative_document"),
                "无": ("none",)}

COLUMNS: tuple[Column, ...] = (
    Column("item_code", "事项编码", T.STRING, required=True),
    Column("item_name", "事项名称", T.STRING, required=True),
    Column("item_type", "事项类型", T.STRING, required=True, codes=ITEM_TYPES),
    Column("department", "实施部门", T.STRING, required=True),
    Column("precondition_code", "前置条件编码", T.STRING),
    Column("precondition_name", "前置条件名称", T.STRING),
    Column("basis_level", "设定依据层级", T.STRING, required=True, codes=BASIS_LEVELS),
    Column("basis_citation", "设定依据", T.STRING),
    Column("basis_date", "依据施行日期", T.DATE),
    Column("enterprise_autonomy", "企业自主权事项", T.BOOL),
    Column("resolvable_by_consultation", "可通过征求部门意见解决", T.BOOL),
    Column("is_intermediary", "是否中介服务", T.BOOL),
    Column("intermediary_mandatory", "强制中介", T.BOOL),
    Column("designated_intermediary", "指定中介机构", T.BOOL),
    Column("special_need", "特殊需要", T.BOOL),
    Column("statutory_limit_wd", "法定时限(工作日)", T.NUMBER),
    Column("committed_limit_wd", "承诺时限(工作日)", T.NUMBER),
    Column("deemed_approval", "超时默认", T.BOOL),
    Column("fee_basis", "收费依据", T.STRING),
    Column("valid_from", "有效期起", T.DATE),
    Column("valid_to", "有效期止", T.DATE),
)

BY_NAME = {c.name: c for c in COLUMNS}
ZH = {c.name: c.zh for c in COLUMNS}
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
LIMITS = ("statutory_limit_wd", "committed_limit_wd")

# fields the clean-up conditions may name besides the columns (computed from the rule file's parameters)
DERIVED = {"statutory_basis": T.BOOL, "as_of": T.DATE, "temporary_period_end": T.DATE}
ROW_KINDS = ("item", "precondition", "intermediary")


def _header_key(text: str) -> str:
    """Headers compare without spaces, with full-width brackets as ASCII and English in lower case."""
    t = re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")")
    return t.lower()


HEADER_ALIASES = {_header_key(a): c.name for c in COLUMNS for a in (c.name, c.zh)}
HEADER_ALIASES.update({_header_key(a): n for a, n in (
    ("法定时限", "statutory_limit_wd"), ("承诺时限", "committed_limit_wd"),
    ("超时默认许可", "deemed_approval"), ("超时默许", "deemed_approval"),
    ("是否强制中介", "intermediary_mandatory"), ("是否指定中介机构", "designated_intermediary"),
)})


def header_name(text) -> str | None:
    return HEADER_ALIASES.get(_header_key(text)) if isinstance(text, str) else None


def expression_schema() -> dict[str, T]:
    return {**{c.name: c.type for c in COLUMNS}, **DERIVED}


def expression_choices() -> dict[str, set]:
    return {c.name: set(c.codes) for c in COLUMNS if c.codes}
