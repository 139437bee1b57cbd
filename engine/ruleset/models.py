"""Rule-file models (pydantic, ``extra='forbid'``): a mistyped key is an error, not a silent default.

Files are discriminated on ``kind``: ``provision`` (a statutory penalty
provision with dated versions, branches and tiers) or ``parameters`` (cited
procedural parameters a department may override).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from engine.records.schema import SANCTIONS, SUBJECTS

# Ceilings on every number a rule file gives.  pydantic already refuses NaN and infinity; these refuse
# the absurd (``max: 1e309``), which would otherwise load and then overflow into ``inf`` or wrong
# arithmetic at review time.  Each is far above any real value.
MAX_FINE_YUAN = Decimal(10) ** 13          # 10万亿元: a fine (or tier, or amount parameter) in yuan
MAX_FINE_MULTIPLE = Decimal(1000)          # 倍: statutes go up to 30 times the base amount
MAX_CITATION_NUMBER = 10_000               # article / paragraph / item numbers (民法典 has 1,260 articles)
MAX_OFFICERS = 100                         # min_officers
MAX_DEADLINE_DAYS = 3_650                  # a deadline's (extra) days or working days: ten years
MAX_PARAMETER_YEARS = 100                  # a parameter counted in years (time_bar_years ...)


def within(value, what_zh: str, what_en: str, ceiling, unit_zh: str = "", unit_en: str = ""):
    """``value`` if it is a number from 0 to ``ceiling`` (-0 reads as 0), else a pydantic error that
    says which, Chinese first."""
    if value is None:
        return value
    if isinstance(value, Decimal) and not value.is_finite():
        raise PydanticCustomError("finite_number", "{zh}必须是有限的数：{v} ({en} must be a finite number: {v})",
                                  {"zh": what_zh, "en": what_en, "v": str(value)})
    args = {"zh": what_zh, "en": what_en, "v": str(value), "c": f"{ceiling:,}", "uz": unit_zh,
            "ue": f" {unit_en}" if unit_en else ""}
    if value < 0:
        raise PydanticCustomError("negative_amount", "{zh}不能为负数：{v} ({en} cannot be negative: {v})", args)
    if value > ceiling:
        raise PydanticCustomError("amount_too_large",
                                  "{zh}超过上限 {c}{uz}：{v} ({en} is above the ceiling of {c}{ue}: {v})", args)
    return value + 0


def _bounded(what_zh: str, what_en: str, ceiling, unit_zh: str = "", unit_en: str = "") -> AfterValidator:
    return AfterValidator(lambda v: within(v, what_zh, what_en, ceiling, unit_zh, unit_en))


Yuan = Annotated[Decimal, _bounded("金额", "an amount", MAX_FINE_YUAN, "元", "yuan")]
Multiple = Annotated[Decimal, _bounded("倍数", "a multiple", MAX_FINE_MULTIPLE, "倍", "times the base")]
TierBound = Annotated[Decimal, _bounded("裁量阶次的界限", "a tier bound", MAX_FINE_YUAN)]
Days = Annotated[int, _bounded("天数", "a number of days", MAX_DEADLINE_DAYS, "天", "days")]
CitationNumber = Annotated[int, Field(gt=0), _bounded("条款项序号", "an article, paragraph or item number",
                                                      MAX_CITATION_NUMBER)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(Strict):
    """A statute by article (paragraph, item), or a policy document (a local 实施方案, a 国办发 notice)
    by its numbered part: ``document`` names it, ``section``/``item`` the part; only a document may go
    without an article."""
    law: str
    article: Optional[CitationNumber] = None
    paragraph: Optional[CitationNumber] = None
    item: Optional[CitationNumber] = None
    version: Optional[str] = None     # the text's version, e.g. "2014年修正"
    document: Optional[str] = None    # for benchmarks: the document that set the tiers; a policy document
    section: Optional[str] = None     # a policy document's numbered part as printed, e.g. 二(五)

    @model_validator(mode="after")
    def _article_or_document(self):
        if self.article is None and not self.document:
            raise ValueError("引用须有 article（政策文件为 document）(a citation needs 'article', or 'document' for a policy document)")
        return self

    def short(self) -> str:
        if self.article is None:
            return self.law + (self.section or "") + (f"第{self.item}项" if self.item else "")
        s = f"{self.law}第{self.article}条"
        if self.paragraph:
            s += f"第{self.paragraph}款"
        if self.item:
            s += f"第{self.item}项"
        if self.version:
            s = f"{self.law}({self.version})" + s[len(self.law):]
        return s

    def as_json(self) -> dict:
        d = {"law": self.law}
        if self.article is not None:
            d["article"] = self.article
        if self.section:
            d["section"] = self.section
        if self.paragraph:
            d["paragraph"] = self.paragraph
        if self.item:
            d["item"] = self.item
        if self.version:
            d["version"] = self.version
        if self.document:
            d["document"] = self.document
        return d


class Fine(Strict):
    """A statutory fine range: yuan amounts (min/max) or multiples of a base amount field.

    "N 倍以下" / "N 元以下" means the minimum is 0.  ``fixed_share`` (e.g. 0.4 of
    prior-year income) is a fixed amount: L = U.  ``alternative: warning`` says a
    warning may stand instead of the fine (e.g. 道路交通安全法 Art. 90: 警告或者…罚款).
    """
    min: Optional[Yuan] = None
    max: Optional[Yuan] = None
    base: Optional[str] = None
    min_multiple: Optional[Multiple] = None
    max_multiple: Optional[Multiple] = None
    alternative: Optional[Literal["warning"]] = None
    # "货值金额不足十万元的，按十万元计算" (药品管理法 Arts. 116–117): the base never counts below this amount
    base_floor: Optional[Yuan] = None
    # "可以并处…罚款": the fine itself is optional, so a decision without one is lawful
    optional: bool = False
    # "可以处以罚款" with no amount (价格法 Arts. 39, 40, 44): the statute sets no maximum, so only the
    # minimum can be broken and no discretion tier can be placed
    uncapped: bool = False
    # 按日连续处罚 (安全生产法 Art. 112, 环境保护法 Art. 59, 大气污染防治法 Art. 123): the range is the
    # original fine (``base``) times the days counted between two date facts
    per_day: Optional["PerDay"] = None

    @model_validator(mode="after")
    def _shape(self):
        amounts = self.min is not None or self.max is not None
        multiples = self.min_multiple is not None or self.max_multiple is not None
        if amounts and multiples:
            raise ValueError("罚款只能按金额 min/max 或按倍数 min_multiple/max_multiple 加 base 二选一 "
                             "(give either min/max (yuan) or min_multiple/max_multiple with base, not both)")
        if self.base_floor is not None and not multiples:
            raise ValueError("base_floor 只用于按倍数计算的罚款 (base_floor goes with a fine in multiples of a base amount)")
        if self.per_day is not None and not multiples:
            raise ValueError("按日计罚 per_day 只用于按原处罚数额倍数计算的罚款 "
                             "(per_day goes with a fine in multiples of the original fine, base)")
        if self.uncapped:
            if multiples or self.max is not None:
                raise ValueError("无上限 uncapped 只与 min（元）同用，不能有 max 或倍数 "
                                 "(uncapped goes with min only, neither max nor multiples)")
            return self
        if multiples:
            if not self.base:
                raise ValueError("按倍数计算的罚款须有 base，即所乘的金额字段 "
                                 "(a fine in multiples needs 'base', the amount field it multiplies)")
            if self.max_multiple is None:
                raise ValueError("缺少 max_multiple (max_multiple is required)")
            if (self.min_multiple or 0) > self.max_multiple:
                raise ValueError("min_multiple 大于 max_multiple (min_multiple is above max_multiple)")
        elif amounts:
            if self.base:
                raise ValueError("base 只与 min_multiple/max_multiple 同用，不用于金额 "
                                 "('base' goes with min_multiple/max_multiple, not with yuan amounts)")
            if self.max is None:
                raise ValueError("缺少 max (max is required)")
            if (self.min or 0) > self.max:
                raise ValueError("min 大于 max (min is above max)")
        else:
            raise ValueError("罚款须有 min/max 或 min_multiple/max_multiple (a fine needs min/max or min_multiple/max_multiple)")
        return self

    @property
    def is_multiple(self) -> bool:
        return self.max_multiple is not None

    @property
    def lo(self) -> Decimal:
        return (self.min_multiple if self.is_multiple else self.min) or Decimal(0)

    @property
    def hi(self) -> Decimal:
        """The maximum in the branch's unit; infinite where the statute sets none (``uncapped``)."""
        if self.uncapped:
            return Decimal("Infinity")
        return self.max_multiple if self.is_multiple else self.max


class PerDay(Strict):
    """How the days of a 按日连续处罚 are counted: from the day after ``order`` (the 责令改正 date, as the
    statutes say: 自责令改正之日的次日起) to ``until`` (the re-inspection that found the act continuing).
    Whether ``until`` itself counts is the parameter ``daily_penalty_counts_last_day``."""
    order: str
    until: str


class Sanction(Strict):
    mode: Literal["mandatory", "permitted"]
    when: Optional[str] = None     # condition under which it applies (e.g. "serious")
    note: Optional[str] = None
    # "暂停或者吊销", "责令停业整顿或者吊销营业执照": mandatory sanctions sharing a group name are alternatives —
    # one of them is due, not each
    one_of: Optional[str] = None


SanctionMap = dict[Literal[tuple(SANCTIONS)], Sanction]


class TierSplit(Strict):
    """Fractions of [L, U] where 从轻 ends and 从重 starts (default 0.3 / 0.7, SAMR practice)."""
    light_upto: Decimal = Field(default=Decimal("0.3"), ge=0, le=1)
    heavy_from: Decimal = Field(default=Decimal("0.7"), ge=0, le=1)
    source: Optional[str] = None


class ExplicitTiers(Strict):
    """Tier ranges set by a benchmark document, in the branch's unit (yuan or multiples)."""
    减轻处罚: Optional[tuple[TierBound, TierBound]] = None
    从轻处罚: tuple[TierBound, TierBound]
    一般处罚: tuple[TierBound, TierBound]
    从重处罚: tuple[TierBound, TierBound]


class Branch(Strict):
    id: str
    when: str = "true"
    fine: Optional[Fine] = None          # None: no fine is lawful on this branch
    citation: Optional[Citation] = None  # defaults to the version's / provision's
    sanctions: SanctionMap = Field(default_factory=dict)
    tiers: Optional[ExplicitTiers] = None
    note: Optional[str] = None
    # "依照本法第X条的规定处罚": the fine and sanctions of another provision's branch, resolved at load
    refer: Optional["Reference"] = None

    @model_validator(mode="after")
    def _refer_alone(self):
        if self.refer is not None and (self.fine is not None or self.sanctions or self.tiers is not None):
            raise ValueError("依照 refer 采用所指条款的罚款和处罚种类，不能另有 fine、sanctions 或 tiers "
                             "(refer gives the fine and sanctions of the provision it names: no fine, sanctions "
                             "or tiers of its own)")
        return self


class Reference(Strict):
    """The provision (and, where it has several, the branch) a cross-reference points to."""
    provision: str
    branch: Optional[str] = None


class Version(Strict):
    valid_from: dt.date
    valid_to: Optional[dt.date] = None
    source: str                          # the text and version this encodes
    citation: Optional[Citation] = None  # when the article number differs in this text
    requires: list[str] = Field(default_factory=list)
    confiscate_gain: Literal["mandatory", "permitted", "none"] = "none"
    sanctions: SanctionMap = Field(default_factory=dict)
    branches: list[Branch] = Field(min_length=1)
    tier_split: Optional[TierSplit] = None

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _date(cls, v):
        if v is None or isinstance(v, dt.date):
            return v
        try:
            return dt.date.fromisoformat(str(v))
        except ValueError:
            raise ValueError(f"不是日期 {v!r}，请写作 YYYY-MM-DD (not a date, use YYYY-MM-DD)") from None


class DeclaredFact(Strict):
    """A fact a provision needs beyond the core record (药品管理法's 生产/批发 vs 零售, a fee the fine multiplies,
    the conditions of an exemption): read from input like a core column, under its name, ``zh`` or ``headers``."""
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    zh: str
    headers: list[str] = Field(default_factory=list)
    type: Literal["amount", "number", "bool", "date", "code"]
    codes: dict[str, list[str]] = Field(default_factory=dict)    # code type: each code with its Chinese words
    citation: Citation                  # the article that gives the fact its meaning
    note: Optional[str] = None

    @model_validator(mode="after")
    def _codes(self):
        if (self.type == "code") != bool(self.codes):
            raise ValueError("编码类事实须列出其编码，且只有编码类事实可以列出 (a code fact lists its codes, and only a code fact does)")
        return self


class Exemption(Strict):
    """A provision's own 免予处罚 (食品安全法 Art. 136): where ``when`` holds the fine may be 0 and the
    sanctions left out, except those in ``keeps`` (e.g. the confiscation of the goods stays mandatory)."""
    id: str
    when: str
    keeps: list[Literal[tuple(SANCTIONS)]] = Field(default_factory=list)
    citation: Citation
    note: Optional[str] = None


class Provision(Strict):
    kind: Literal["provision"]
    id: str
    title: str
    draft: bool = False                  # written by `rules draft`: lint refuses it until a person reviews it
    title_en: Optional[str] = None
    citation: Citation
    violation_codes: list[str] = Field(default_factory=list)
    life_health: bool = False            # 行政处罚法 Art. 36: 涉及公民生命健康安全
    financial_safety: bool = False       # 行政处罚法 Art. 36: 金融安全
    samr_publication: bool = False       # 市场监督管理行政处罚信息公示规定 applies
    min_officers: Optional[Annotated[int, Field(ge=1), _bounded("最少执法人员数", "min_officers", MAX_OFFICERS,
                                                                "人", "officers")]] = None
    min_officers_citation: Optional[Citation] = None
    benchmark: Optional[str] = None      # document that set the tiers, if any
    tier_split: Optional[TierSplit] = None
    facts: list[DeclaredFact] = Field(default_factory=list)
    exemptions: list[Exemption] = Field(default_factory=list)
    # before the first version: ``none`` — the article did not exist (an act then has no provision);
    # ``not_encoded`` — an earlier text had it, not encoded here (such a record cannot be judged: rejected)
    earlier_text: Literal["none", "not_encoded"] = "none"
    # whom the provision punishes (双罚制: the unit and its persons); branches may read ``subject``
    subjects: list[Literal[tuple(SUBJECTS)]] = Field(default_factory=lambda: ["party"], min_length=1)
    # "法律、法规对处罚机关和处罚方式有规定的，依照法律、法规的规定执行" (消费者权益保护法 Art. 56): applies only
    # where no special law provides; ``check`` says so and lint lists the provisions it may yield to
    yields: Optional["Yielding"] = None
    # 双罚制: persons the provision makes the decision punish beside the unit ("对直接负责的主管人员和其他直接
    # 责任人员处…罚款" is mandatory, "可以处" is not); with decision_no, a decision fining the unit without them
    # is a finding
    persons: dict[Literal["principal", "responsible_person"], "PersonsDuty"] = Field(default_factory=dict)
    versions: list[Version] = Field(min_length=1)

    @model_validator(mode="after")
    def _persons_are_subjects(self):
        for who in self.persons:
            if who not in self.subjects:
                raise ValueError(f"persons: '{who}' 不在 subjects 中 (is not one of the provision's subjects)")
        return self

    @model_validator(mode="after")
    def _officers(self):
        if self.min_officers is not None and self.min_officers_citation is None:
            raise ValueError("min_officers 与行政处罚法第四十二条不同时须给出依据 min_officers_citation "
                             "(min_officers differs from 行政处罚法 Art. 42 only with a citation)")
        return self


class PersonsDuty(Strict):
    """When the unit's decision must also punish these persons: always, or where ``when`` holds."""
    when: Optional[str] = None
    citation: Citation
    note: Optional[str] = None


class Yielding(Strict):
    """特别法优先: the clause of the provision that makes it give way to other laws."""
    citation: Citation
    note: str


class Parameter(Strict):
    value: Union[Decimal, int, list[str], str, bool]
    citation: Citation
    note: Optional[str] = None
    basis: Literal["P", "C", "U"] = "P"   # law_facts tag: primary text, commentary, unverified

    @field_validator("value")
    @classmethod
    def _number(cls, v):
        """A number is an amount, a count or a fraction: never negative nor above ``MAX_FINE_YUAN``.
        YAML reads ``1e309`` (no dot) as text, which the checks then convert with ``float``: text that
        is a number is held to the same bounds, and kept as written."""
        if isinstance(v, (Decimal, int)) and not isinstance(v, bool):
            return within(v, "参数值", "a parameter value", MAX_FINE_YUAN)
        number = _as_number(v)
        if number is not None:
            within(number, "参数值", "a parameter value", MAX_FINE_YUAN)
        return v


def _as_number(v) -> Decimal | None:
    if not isinstance(v, str):
        return None
    try:
        return Decimal(v.strip().replace("_", ""))
    except ArithmeticError:
        return None


def parameter_ceiling(name: str) -> tuple | None:
    """The ceiling a parameter's name implies, as (ceiling, unit in Chinese, unit in English), or None:
    ``*_days`` are days added to dates and ``*_years`` years, where far less than ``MAX_FINE_YUAN``
    already overflows the calendar."""
    if name.endswith("_days"):
        return MAX_DEADLINE_DAYS, "天", "days"
    if name.endswith("_years"):
        return MAX_PARAMETER_YEARS, "年", "years"
    return None


class ParameterSet(Strict):
    kind: Literal["parameters"]
    id: str
    title: str
    parameters: dict[str, Parameter]


class Extension(Strict):
    """Days added to a deadline: a fixed number where a condition holds (an approved extension), or the
    working days a record field holds (time excluded by 行政许可法 Art. 45)."""
    when: Optional[str] = None
    working_days: Optional[Days] = None
    field: Optional[str] = None
    citation: Citation
    note: Optional[str] = None

    @model_validator(mode="after")
    def _one_amount(self):
        if (self.working_days is None) == (self.field is None):
            raise ValueError("延长期限只能给出 working_days（加 when）或 field 之一 "
                             "(an extension gives either working_days, with 'when', or a 'field', not both)")
        if self.working_days is not None and self.when is None:
            raise ValueError("固定延长的 working_days 须有 when 条件，如 extension_approved (fixed extra working_days need a 'when' condition)")
        return self


class Consequence(Strict):
    """What the law attaches to missing this deadline where ``when`` holds (超时默认: deemed approved)."""
    when: str
    flag: str                       # key set to true in the finding's ``actual``
    zh: str
    en: str
    citation: Optional[Citation] = None


class DeemedStart(Strict):
    """Where the start date is missing but the law deems it (行政许可法 Art. 32(4): 逾期不告知的，自收到申请材料之日起即为受理)."""
    field: str
    when: str
    citation: Citation


class DeadlineVersion(Strict):
    valid_from: dt.date
    valid_to: Optional[dt.date] = None
    source: str
    working_days: Optional[Days] = None
    days: Optional[Days] = None          # calendar days
    limit_field: Optional[str] = None   # a record field that sets the period where it has a value
    basis: Literal["P", "C", "U"] = "P"
    citation: Citation
    extensions: list[Extension] = Field(default_factory=list)
    consequences: list[Consequence] = Field(default_factory=list)

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _date(cls, v):
        return Version._date(v)

    @model_validator(mode="after")
    def _period(self):
        if self.working_days is not None and self.days is not None:
            raise ValueError("working_days 与 days 只能给出其一 (give working_days or days, not both)")
        if self.working_days is None and self.days is None and self.limit_field is None:
            raise ValueError("期限版本须有 working_days、days 或 limit_field (a deadline version needs working_days, days or limit_field)")
        return self


class Deadline(Strict):
    """One time limit: from ``start`` to the first of ``closed_by``, in force by dated versions.

    ``after_deadlines`` makes a final deadline (a complaint must end in an
    outcome once its last other deadline has passed); ``open_only`` reports
    only cases still open at as-of; ``unless_overdue`` is not reported where
    that other deadline is missed as well (a 承诺时限 finding is redundant
    once the statutory limit is broken).
    """
    kind: Literal["deadline"]
    id: str
    title: str
    title_en: Optional[str] = None
    record_kind: Literal["approval", "disclosure", "complaint"]
    code: str
    action_zh: str                  # what must happen by the deadline, e.g. 作出行政许可决定
    action_en: str
    applies_when: Optional[str] = None
    start: Optional[str] = None
    deemed_start: Optional[DeemedStart] = None
    closed_by: list[str] = Field(min_length=1)
    version_by: Optional[str] = None
    after_deadlines: list[str] = Field(default_factory=list)
    open_only: bool = False
    unless_overdue: Optional[str] = None
    note: Optional[str] = None
    versions: list[DeadlineVersion] = Field(min_length=1)

    @model_validator(mode="after")
    def _start(self):
        if (self.start is None) == (not self.after_deadlines):
            raise ValueError("期限须从 start 字段或 after_deadlines 起算，二者只能有一 "
                             "(a deadline runs from a 'start' field or from 'after_deadlines', exactly one)")
        if self.after_deadlines and self.version_by is None:
            raise ValueError("在其他期限之后起算的期限须有 version_by，即选择版本所依据的日期 "
                             "(a deadline after other deadlines needs 'version_by', the date choosing its version)")
        return self


RuleFile = Annotated[Union[Provision, ParameterSet, Deadline], Field(discriminator="kind")]


class DatedByModel:
    """A compiled rule version is valid when the version it compiles (``self.model``) is: the
    ``valid_from``/``valid_to`` that engine.ruleset.versions.in_force reads."""

    @property
    def valid_from(self):
        return self.model.valid_from

    @property
    def valid_to(self):
        return self.model.valid_to


for _m in (Fine, Branch, Version, Provision):      # forward references: PerDay, Reference, Yielding
    _m.model_rebuild()
