"""Accountability rule-file models (pydantic, ``extra='forbid'``): a mistyped key is an error.

Files under ``rules/accountability/`` are discriminated on ``kind``:

- ``parameters`` — settings shared by every trigger (``window_days``);
- ``ladder`` — the measures from lightest to heaviest (从重 moves one step up),
  and ``equivalents`` (a notice word that is not a measure, e.g. 领导责任, and
  the step it counts as);
- ``trigger`` — discriminated again on ``type``: ``count`` (thresholds per
  officer / department), ``double_check`` (一案双查), ``ranking`` (bottom
  departments), ``escalation`` (从重 after repeated notices).

Every number is a ``Param`` with a ``basis`` tag (P primary text, C
commentary, U unverified, as in ``rules/procedure/administrative_penalty.yaml``)
and at least one ``Source``.  A ``Source`` is ``Citation`` without the
mandatory article: local policy documents (the seeds) number items and
sections, not articles.
"""
from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator
from engine.ruleset.models import CitationNumber

Basis = Literal["P", "C", "U"]
SubjectType = Literal["officer", "department", "leader"]


# A count of findings, days or ranks in an accountability rule: anything larger is a typo, not policy.
MAX_COUNT = 1_000_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    law: str                                         # the law's or the document's title
    article: Optional[CitationNumber] = None
    paragraph: Optional[CitationNumber] = None
    item: Optional[CitationNumber] = None
    section: Optional[str] = None                    # e.g. 二(三) in a local 实施方案
    document: Optional[str] = None                   # e.g. "seed 003", "law_facts §9 ladder 1"

    def as_json(self) -> dict:
        return {k: v for k, v in self.model_dump().items() if v is not None}

    def text(self) -> str:
        s = self.law
        if self.article:
            s += f"第{self.article}条"
        if self.paragraph:
            s += f"第{self.paragraph}款"
        if self.section:
            s += f"{self.section}"
        if self.item:
            s += f"第{self.item}项"
        if self.document:
            s += f"（{self.document}）"
        return s


class Param(Strict):
    value: Annotated[int, Field(gt=0, le=MAX_COUNT)]
    basis: Basis
    citations: list[Source] = Field(min_length=1)
    note: Optional[str] = None


class ParametersFile(Strict):
    kind: Literal["parameters"]
    id: str
    title: str
    parameters: dict[str, Param]


class Step(Strict):
    measure: str
    measure_en: str
    recommend: list[str] = Field(default_factory=list)   # also recommended with this measure (调整岗位)
    basis: Basis
    citations: list[Source] = Field(min_length=1)
    note: Optional[str] = None


class Equivalent(Strict):
    rank_as: str                       # the ladder step this word counts as for 从重
    measure_en: str
    basis: Basis
    citations: list[Source] = Field(min_length=1)
    note: Optional[str] = None


class LadderFile(Strict):
    kind: Literal["ladder"]
    id: str
    title: str
    steps: list[Step] = Field(min_length=2)
    equivalents: dict[str, Equivalent] = Field(default_factory=dict)


class Level(Strict):
    at_least: Annotated[int, Field(gt=0, le=MAX_COUNT)]
    measure: str
    basis: Basis
    citations: list[Source] = Field(min_length=1)
    note: Optional[str] = None


class _Trigger(Strict):
    kind: Literal["trigger"]
    id: str
    title: str
    title_en: str
    citations: list[Source] = Field(min_length=1)
    note: Optional[str] = None


class _Counting(_Trigger):
    when: str                          # which findings count: an expression over finding fields
    counts_zh: str                     # what ``when`` selects, for the notice's reason (中、高严重程度问题)
    counts_en: str


class CountTrigger(_Counting):
    type: Literal["count"]
    subjects: list[Literal["officer", "department"]] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)

    @model_validator(mode="after")
    def _increasing(self):
        at = [lv.at_least for lv in self.levels]
        if any(b <= a for a, b in zip(at, at[1:])):
            raise ValueError(f"levels: at_least 须严格递增 (at_least must increase strictly; got {at})")
        if len(set(self.subjects)) != len(self.subjects):
            raise ValueError("subjects: 有重复项 (listed twice)")
        return self


class DoubleCheckTrigger(_Counting):
    type: Literal["double_check"]
    measure: str


class RankingTrigger(_Counting):
    type: Literal["ranking"]
    measure: str
    parameters: dict[Literal["min_cases", "bottom_n", "per"], Param]

    @model_validator(mode="after")
    def _complete(self):
        missing = {"min_cases", "bottom_n", "per"} - set(self.parameters)
        if missing:
            raise ValueError(f"parameters: 缺少 {', '.join(sorted(missing))} (missing)")
        return self


class EscalationTrigger(_Trigger):
    type: Literal["escalation"]
    parameters: dict[Literal["escalate_after"], Param]

    @model_validator(mode="after")
    def _complete(self):
        if "escalate_after" not in self.parameters:
            raise ValueError("parameters: 缺少 escalate_after (missing)")
        return self


Trigger = Annotated[Union[CountTrigger, DoubleCheckTrigger, RankingTrigger, EscalationTrigger],
                    Field(discriminator="type")]
RuleFile = Annotated[Union[ParametersFile, LadderFile, Trigger], Field(discriminator="kind")]
KINDS = ("parameters", "ladder", "trigger")
TYPES = ("count", "double_check", "ranking", "escalation")
