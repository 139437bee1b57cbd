"""The penalty record contract: canonical columns, Chinese header aliases, types and code values.

This table is the single source of truth for the readers (header aliases),
the column-wise validation (types, allowed codes) and the rule language (a
condition may name exactly these fields, with these types).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from engine.types import FieldType as T


@dataclass(frozen=True)
class Column:
    name: str
    zh: str
    type: T
    required: bool = False
    # allowed codes, each with its accepted spellings (Chinese first)
    codes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    en: str = ""
    headers: tuple[str, ...] = ()   # further header spellings besides ``zh`` (办件编号 for 案件编号 ...)
    derived: bool = False           # filled by the engine (e.g. from the catalogue), never read from input
    units: tuple[str, ...] = ()     # NUMBER: unit words a value may be written with (``20个工作日``)
    whole: bool = False             # NUMBER: a whole number ≥ 0 (working days, counts), not only ≥ 0
    few: bool = False               # STRING with few distinct values (departments, violation codes): a Categorical
    money: bool = False             # NUMBER: an amount in yuan, read as decisions write it (engine.records.values)

    @cached_property
    def aliases(self) -> dict[str, str]:
        out = {}
        for code, spellings in self.codes.items():
            out[code] = code
            for s in spellings:
                out[s] = code
                out[word_key(s)] = code
        return out

    def code_of(self, word: str) -> str | None:
        """The code a word names: as written, in lower case, or as ``word_key`` reads it."""
        a = self.aliases
        return a.get(word) or a.get(word.lower()) or a.get(word_key(word))

    def accepted_words(self) -> str:
        """The accepted words for an error message: each code with its Chinese words."""
        return "；".join(f"{'、'.join(words[:3])} ({code})" if words else code for code, words in self.codes.items())


PARTY_TYPES = {"individual": ("个人", "自然人", "公民"), "organization": ("单位", "法人", "组织", "法人或者其他组织")}
PROCEDURES = {"ordinary": ("普通", "普通程序", "一般程序"), "simple": ("简易", "简易程序", "当场")}
HARMS = {"none": ("无", "没有", "未造成"), "minor": ("轻微",), "general": ("一般",), "serious": ("严重",)}
ACCIDENT_LEVELS = {"一般": ("一般事故", "general"), "较大": ("较大事故", "major"),
                   "重大": ("重大事故", "serious"), "特别重大": ("特别重大事故", "especially_serious")}
# 处罚对象: the party the decision is addressed to, or — under 双罚制 — a person of the unit the provision names.
# A blank cell is the party addressed, whoever the provision punishes: the decision names whom it punishes
# (行政处罚法 Art. 59 (一)); only a provision whose branches tell subjects apart leaves a blank open.
SUBJECTS = {"party": ("当事人", "当事人本人", "单位", "生产经营单位"),
            "principal": ("主要负责人", "法定代表人", "单位主要负责人"),
            "responsible_person": ("责任人员", "直接负责的主管人员和其他直接责任人员", "直接负责的主管人员",
                                   "其他直接责任人员", "其他负责人", "安全生产管理人员")}
SUBJECT_ZH = {k: v[0] for k, v in SUBJECTS.items()}
# 行政处罚法 Art. 9 in full, 罚款 and 没收违法所得 apart (they are the amount columns fine and confiscated_gain).
# The order of the first five is the order of earlier outputs; keep it, and add new kinds after them.
SANCTIONS = {
    "warning": ("警告",),
    "confiscate_goods": ("没收非法财物", "没收违法生产经营的食品", "没收", "没收违法商品"),
    "suspend": ("责令停产停业", "停产停业", "责令停业整顿", "停业整顿", "责令停业"),
    "revoke_license": ("吊销许可证", "吊销许可证件", "吊销执业证书", "吊销资格证书", "撤销执业资格"),
    "revoke_business_license": ("吊销营业执照",),
    "notice_criticism": ("通报批评",),
    "suspend_license": ("暂扣许可证件", "暂扣许可证", "暂扣执照", "暂停资格", "暂扣驾驶证"),
    "downgrade_qualification": ("降低资质等级",),
    "restrict_business": ("限制开展生产经营活动", "限制生产经营"),
    "close": ("责令关闭", "关闭"),
    "bar_from_trade": ("限制从业", "禁止从业", "禁止从事生产经营活动"),
    "detention": ("行政拘留", "拘留"),
}
SANCTION_ZH = {k: v[0] for k, v in SANCTIONS.items()}

# 行政处罚法(2021) factor codes, grouped by legal effect (Arts. 30–33, 49)
SHALL_NOT_PUNISH = ("age_under_14", "mental_illness", "minor_corrected_no_harm", "no_fault")
SHALL_MITIGATE = ("age_14_to_18", "eliminated_harm", "coerced", "confessed_unknown", "meritorious",
                  "other_mitigating")
MAY_MITIGATE = ("limited_capacity",)
AGGRAVATING = ("repeat_offense", "obstructed", "emergency_period", "vulnerable_victims", "other_aggravating")
MAY_NOT_PUNISH_PARTS = ("first_offense", "corrected_promptly")
# Each factor in the 行政处罚法's own words first (Arts. 30–33, without the closing 的), then the short
# forms and the variants decisions write.  Matching ignores spaces, a closing 的/情形 and traditional script.
FACTORS = {
    "age_under_14": ("不满十四周岁", "不满十四周岁的未成年人", "未满十四周岁"),
    "mental_illness": ("精神病人不能辨认或者控制", "精神病人、智力残疾人在不能辨认或者不能控制自己行为时有违法行为",
                       "不能辨认或者不能控制自己行为"),
    "minor_corrected_no_harm": ("轻微并及时改正没有造成危害后果", "违法行为轻微并及时改正，没有造成危害后果",
                                "违法行为轻微并及时改正没有造成危害后果"),
    "no_fault": ("没有主观过错", "当事人有证据足以证明没有主观过错", "有证据足以证明没有主观过错", "无主观过错"),
    "first_offense": ("初次违法", "首次违法", "初犯", "系初次违法"),
    "corrected_promptly": ("及时改正", "已及时改正", "及时整改"),
    "age_14_to_18": ("已满十四周岁不满十八周岁", "已满十四周岁不满十八周岁的未成年人"),
    "eliminated_harm": ("主动消除或者减轻危害后果", "主动消除或者减轻违法行为危害后果", "主动消除或减轻违法行为危害后果",
                        "主动消除违法行为危害后果", "主动减轻违法行为危害后果", "主动消除或者减轻危害"),
    "coerced": ("受他人胁迫或者诱骗", "受他人胁迫或者诱骗实施违法行为", "受他人胁迫", "受他人诱骗"),
    "confessed_unknown": ("主动供述尚未掌握的违法行为", "主动供述行政机关尚未掌握的违法行为"),
    "meritorious": ("立功表现", "配合行政机关查处违法行为有立功表现", "有立功表现"),
    "other_mitigating": ("其他依法从轻或者减轻情形", "法律、法规、规章规定其他应当从轻或者减轻行政处罚"),
    "limited_capacity": ("尚未完全丧失辨认或者控制能力", "尚未完全丧失辨认或者控制自己行为能力的精神病人、智力残疾人"),
    "cooperated": ("配合调查", "积极配合调查", "如实交代", "如实陈述", "如实陈述违法事实", "配合调查、如实交代"),
    "repeat_offense": ("多次违法", "屡教不改"),
    "obstructed": ("阻碍执法", "妨碍执法"),
    "emergency_period": ("突发事件期间",),
    "vulnerable_victims": ("侵害弱势群体",),
    "other_aggravating": ("其他从重情形",),
}
TRUE_WORDS = ("true", "1", "yes", "y", "t", "是", "有", "已", "√", "1.0")
FALSE_WORDS = ("false", "0", "no", "n", "f", "否", "无", "未", "", "0.0")

# spellings every record kind accepts for the fields they share (a mixed file has one header row)
CASE_HEADERS = ("办件编号", "申请编号", "编号")
DEPARTMENT_HEADERS = ("实施部门", "办理部门", "承办部门", "部门")
OFFICER_HEADERS = ("承办人", "经办人", "承办人员")

COLUMNS: tuple[Column, ...] = (
    Column("case_id", "案件编号", T.STRING, required=True, headers=CASE_HEADERS),
    Column("department", "执法部门", T.STRING, few=True, headers=DEPARTMENT_HEADERS),
    Column("officers", "执法人员", T.LIST, headers=OFFICER_HEADERS),
    Column("party_type", "当事人类型", T.STRING, codes=PARTY_TYPES),
    Column("subject", "处罚对象", T.STRING, codes=SUBJECTS),
    Column("party_id", "当事人证件号", T.STRING),
    Column("party_name", "当事人", T.STRING),
    Column("act_id", "违法行为标识", T.STRING),
    Column("decision_no", "决定书文号", T.STRING, few=True, headers=("处罚决定书文号", "行政处罚决定书文号", "文书号")),
    Column("violation_code", "违法行为编码", T.STRING, few=True),
    Column("penalty_basis", "处罚依据", T.STRING, few=True, headers=("法律依据", "处罚依据条款")),
    Column("violation_date", "违法行为发生日期", T.DATE),
    Column("violation_end_date", "违法行为终了日期", T.DATE),
    Column("discovered_date", "发现日期", T.DATE),
    Column("filed_date", "立案日期", T.DATE),
    Column("decision_date", "处罚决定日期", T.DATE),
    Column("publicized_date", "公示日期", T.DATE),
    Column("procedure", "程序", T.STRING, codes=PROCEDURES),
    Column("goods_value", "货值金额", T.NUMBER, money=True, headers=("货值",)),
    Column("illegal_gain", "违法所得", T.NUMBER, money=True),
    Column("ad_fee", "广告费用", T.NUMBER, money=True),
    Column("prior_year_income", "上一年年收入", T.NUMBER, money=True),
    Column("accident_level", "事故等级", T.STRING, codes=ACCIDENT_LEVELS),
    Column("prior_violations_2y", "两年内违法次数", T.NUMBER),
    Column("ad_fee_uncomputable", "广告费用无法计算或者明显偏低", T.BOOL),
    Column("refused_correction", "拒不改正", T.BOOL),
    Column("fine", "罚款金额", T.NUMBER, money=True),
    Column("confiscated_gain", "没收违法所得金额", T.NUMBER, money=True),
    Column("sanctions", "其他处罚", T.LIST, codes=SANCTIONS),
    Column("factors", "情节", T.LIST, codes=FACTORS),
    Column("harm", "危害后果", T.STRING, codes=HARMS),
    Column("serious", "情节严重", T.BOOL),
    Column("hearing_notified", "已告知听证", T.BOOL),
    Column("extension_approved", "延期批准", T.BOOL),
)



def word_key(text) -> str:
    """A coded word as compared: simplified script, no spaces or 《》, without a closing 的/的情形/情形/等."""
    from engine.chinese import to_simplified
    t = re.sub(r"\s+", "", to_simplified(str(text))).strip("，,。；;、")
    return re.sub(r"(?:的情形|情形|的|等)+$", "", t)


def header_key(text) -> str:
    """Headers compare without spaces, with full-width brackets as ASCII ones and English in lower case."""
    return re.sub(r"\s+", "", str(text)).replace("（", "(").replace("）", ")").lower()


@dataclass(frozen=True)
class Schema:
    """One record kind's contract: its columns, what evaluation needs, and which dates must be in order.

    ``date_order`` pairs (earlier, later): a row whose ``later`` date is
    before its ``earlier`` one is rejected, since every deadline or range
    computed from it would be about a typo.
    """
    kind: str
    zh: str
    columns: tuple[Column, ...]
    required: tuple[str, ...]
    date_order: tuple[tuple[str, str], ...] = ()
    id_column: str = "case_id"

    @cached_property
    def by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @cached_property
    def header_aliases(self) -> dict[str, str]:
        out = {}
        for c in self.columns:
            if c.derived:
                continue
            for spelling in (c.name, c.zh, *c.headers):
                out[spelling] = c.name
        return out

    @cached_property
    def header_keys(self) -> dict[str, str]:
        """``header_aliases`` by ``header_key``: 法定时限（工作日） and 法定时限 (工作日) find one column."""
        return {header_key(spelling): name for spelling, name in self.header_aliases.items()}

    def field_of(self, header) -> str | None:
        """The canonical field a header names (any spelling, spaces and bracket widths aside), or None."""
        return self.header_aliases.get(header) or (
            self.header_keys.get(header_key(header)) if isinstance(header, str) else None)

    @cached_property
    def names_zh(self) -> dict[str, str]:
        return {c.name: c.zh for c in self.columns}

    def expression_schema(self) -> dict[str, T]:
        """Fields a rule condition may name, with their types."""
        return {c.name: c.type for c in self.columns}

    def expression_choices(self) -> dict[str, set]:
        """Code values a condition may compare a coded field with (typos in rule files are caught)."""
        return {c.name: set(c.codes) for c in self.columns if c.codes}


# violation_code or penalty_basis names the provision (engine.penalty.evaluate); other blanks are unknown facts
REQUIRED_FOR_EVALUATION = ("case_id",)
PENALTY = Schema("penalty", "行政处罚", COLUMNS, REQUIRED_FOR_EVALUATION, date_order=(
    ("violation_date", "decision_date"), ("violation_date", "violation_end_date"),
    ("filed_date", "decision_date"), ("violation_date", "discovered_date")))
BY_NAME = PENALTY.by_name
HEADER_ALIASES = PENALTY.header_aliases
ZH = PENALTY.names_zh


def expression_schema() -> dict[str, T]:
    """Fields a penalty rule condition may name, with their types."""
    return PENALTY.expression_schema()


def expression_choices() -> dict[str, set]:
    return PENALTY.expression_choices()


def declared_column(fact) -> Column:
    """A provision's declared fact (engine.ruleset.models.DeclaredFact) as a record column."""
    types = {"amount": T.NUMBER, "number": T.NUMBER, "bool": T.BOOL, "date": T.DATE, "code": T.STRING}
    return Column(fact.name, fact.zh, types[fact.type], codes={k: tuple(v) for k, v in fact.codes.items()},
                  headers=tuple(fact.headers), money=fact.type == "amount")


_WITH_DECLARED: dict = {}


def with_declared(columns: tuple) -> Schema:
    """PENALTY with the declared facts' columns (cached: a rule set declares the same facts every time)."""
    if not columns:
        return PENALTY
    key = tuple(repr(c) for c in columns)
    if key not in _WITH_DECLARED:
        _WITH_DECLARED[key] = Schema("penalty", PENALTY.zh, PENALTY.columns + tuple(columns), PENALTY.required,
                                     PENALTY.date_order)
    return _WITH_DECLARED[key]
