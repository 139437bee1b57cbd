"""The approval catalogue contract: a record ``Schema`` (columns, Chinese headers, types, codes).

One row per (item, precondition or intermediary service).  ``CATALOG`` is the
single source for the reader (header aliases), the column-wise validation
(``engine.records.frame.normalize``) and the expression schema the clean-up
rules are compiled against.
"""
from __future__ import annotations

from engine.records.schema import Column, Schema
from engine.types import FieldType as T

ITEM_TYPES = {"行政许可": ("行政许可事项", "licensing", "permit"),
              "非行政许可审批": ("非行政许可审批事项", "non_licensing_approval"),
              "内部审批": ("政府内部审批", "内部审批事项", "internal_approval")}
BASIS_LEVELS = {"法律": ("law",), "行政法规": ("administrative_regulation",),
                "国务院决定": ("state_council_decision",), "地方性法规": ("local_regulation",),
                "省级政府规章": ("省、自治区、直辖市人民政府规章", "省级人民政府规章", "provincial_rule"),
                "部门规章": ("ministerial_rule",), "规范性文件": ("其他规范性文件", "normative_document"),
                "无": ("none",)}
# working-day limits: whole numbers ≥ 0, written 20, 20天 or 20个工作日
WORKING_DAYS = ("个工作日", "工作日", "天")

COLUMNS: tuple[Column, ...] = (
    Column("item_code", "事项编码", T.STRING, required=True, headers=("审批事项编码", "事项代码", "item code")),
    Column("item_name", "事项名称", T.STRING, required=True, headers=("审批事项名称", "item name")),
    Column("item_type", "事项类型", T.STRING, required=True, codes=ITEM_TYPES,
           headers=("事项类别", "审批类别", "item type")),
    Column("department", "实施部门", T.STRING, required=True,
           headers=("实施机关", "实施主体", "审批部门", "部门", "dept")),
    Column("precondition_code", "前置条件编码", T.STRING, headers=("前置条件代码", "precondition code")),
    Column("precondition_name", "前置条件名称", T.STRING, headers=("precondition name",)),
    Column("basis_level", "设定依据层级", T.STRING, required=True, codes=BASIS_LEVELS,
           headers=("依据层级", "设定依据类别", "依据类别", "basis level")),
    Column("basis_citation", "设定依据", T.STRING,
           headers=("依据", "法律依据", "basis", "legal_basis", "legal basis")),
    Column("basis_date", "依据施行日期", T.DATE, headers=("设定依据施行日期", "basis date")),
    Column("enterprise_autonomy", "企业自主权事项", T.BOOL, headers=("是否企业自主权事项",)),
    Column("resolvable_by_consultation", "可通过征求部门意见解决", T.BOOL,
           headers=("是否可通过征求部门意见解决",)),
    Column("is_intermediary", "是否中介服务", T.BOOL),
    Column("intermediary_mandatory", "强制中介", T.BOOL, headers=("是否强制中介",)),
    Column("designated_intermediary", "指定中介机构", T.BOOL, headers=("是否指定中介机构",)),
    Column("special_need", "特殊需要", T.BOOL, headers=("是否特殊需要",)),
    Column("statutory_limit_wd", "法定时限(工作日)", T.NUMBER, headers=("法定时限",), units=WORKING_DAYS, whole=True),
    Column("committed_limit_wd", "承诺时限(工作日)", T.NUMBER, headers=("承诺时限",), units=WORKING_DAYS, whole=True),
    Column("deemed_approval", "超时默认", T.BOOL, headers=("超时默认许可", "超时默许")),
    Column("fee_basis", "收费依据", T.STRING),
    Column("valid_from", "有效期起", T.DATE),
    Column("valid_to", "有效期止", T.DATE),
)
# fields the clean-up conditions may name besides the columns (computed from the rule file's parameters)
DERIVED: tuple[Column, ...] = (
    Column("statutory_basis", "设定依据为法律法规", T.BOOL, derived=True),
    Column("as_of", "审查基准日", T.DATE, derived=True),
    Column("temporary_period_end", "临时性许可期满日", T.DATE, derived=True),
)

CATALOG = Schema("catalog", "审批事项目录", COLUMNS + DERIVED,
                 required=tuple(c.name for c in COLUMNS if c.required),
                 date_order=(("valid_from", "valid_to"),), id_column="item_code")
BY_NAME = {c.name: c for c in COLUMNS}        # the input columns (what ``requires.fields`` may name)
ZH = CATALOG.names_zh
REQUIRED = CATALOG.required
# yes/no facts a clean-up reason turns on: a blank cell reads 否, but a missing column is never assumed
# to be all 否 (dropping 强制中介 would otherwise publish every mandatory intermediary as retained)
DECISION_COLUMNS = ("enterprise_autonomy", "resolvable_by_consultation", "is_intermediary",
                    "intermediary_mandatory", "designated_intermediary", "special_need")
ROW_KINDS = ("item", "precondition", "intermediary")
