"""Target rule files (``rules/targets/*.yaml``), strict: a mistyped key is an error, not a rule that
silently never fires.

A rule file holds one rule: its citation(s), a P/C/U tag (P read in the primary text, C commentary
or policy, U unverified), a condition ``when`` over the entity's fields and aggregates of its related
records, and an outcome — a credit-risk class, or a flag (``key`` 重点监管, ``targeted`` 有针对性检查,
``abnormal`` 经营异常名录).  ``parameters.yaml`` holds every threshold with its tag and citation.
"""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engine.ruleset.models import Citation

Tag = Literal["P", "C", "U"]
CLASSES = ("A", "B", "C", "D")
FLAGS = ("key", "targeted", "abnormal")
FLAG_ZH = {"key": "重点监管", "targeted": "有针对性检查", "abnormal": "经营异常名录"}
CLASS_ZH = {"A": "A 类（信用风险低）", "B": "B 类（信用风险一般）", "C": "C 类（信用风险较高）", "D": "D 类（信用风险高）"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Outcome(_Strict):
    credit_class: Optional[Literal["A", "B", "C", "D"]] = Field(default=None, alias="class")
    flag: Optional[Literal["key", "targeted", "abnormal"]] = None
    items: list[str] = Field(default_factory=list)       # targeted: the 检查事项 it is targeted for
    items_from: Optional[str] = None                     # targeted: a field of the triggering records
    listed_on: Optional[str] = None                      # abnormal: date expression
    removed_on: Optional[str] = None                     # abnormal: date expression (null: not removed)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one(self):
        if (self.credit_class is None) == (self.flag is None):
            raise ValueError("outcome 须给出 class 或 flag 之一 (give exactly one of class or flag)")
        if self.flag == "abnormal" and not self.listed_on:
            raise ValueError("abnormal 须给出 listed_on 列入日期 (an abnormal listing needs listed_on)")
        if self.flag != "abnormal" and (self.listed_on or self.removed_on):
            raise ValueError("listed_on/removed_on 只用于 abnormal (only for flag: abnormal)")
        if self.flag != "targeted" and (self.items or self.items_from):
            raise ValueError("items/items_from 只用于 targeted (only for flag: targeted)")
        return self


class TargetRule(_Strict):
    kind: Literal["target_rule"]
    id: str = Field(min_length=1)
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    tag: Tag
    citations: list[Citation] = Field(min_length=1)
    note: Optional[str] = None
    repeat: Optional[Literal["report_years"]] = None     # once per annual-report year in the look-back
    when: str = Field(min_length=1)
    outcome: Outcome


class Param(_Strict):
    value: Union[bool, int, float, str, list[str]]
    tag: Tag
    citations: list[Citation] = Field(min_length=1)
    note: Optional[str] = None


class ParametersFile(_Strict):
    kind: Literal["target_parameters"]
    parameters: dict[str, Param]
