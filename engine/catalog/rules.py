"""Load ``rules/catalog/cleanup.yaml``: cited clean-up reasons whose conditions are expressions.

Strict like the penalty rules: duplicate keys and unknown keys are errors, and
every mistake (YAML, model, expression) is reported as ``file:line: reason``,
all at once.  Conditions are compiled against the catalogue schema
(``engine.catalog.schema.CATALOG``) so a misspelt field or a basis
level that does not exist is caught when the file is loaded, not on row 80,000.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from engine.catalog.schema import BASIS_LEVELS, BY_NAME, CATALOG, ROW_KINDS
from engine.errors import Problem, RuleFileError
from engine.expr import Expression
from engine.ruleset.models import MAX_PARAMETER_YEARS, Citation, Strict, within
from engine.ruleset.yamlload import ProblemError, compiled_at, line_of, load_yaml, pydantic_problem

RULE_FILE = Path("catalog") / "cleanup.yaml"
_CODE = re.compile(r"^cancel\.[a-z][a-z0-9_]*$")


class CatalogCitation(Citation):
    """A ``Citation`` that may also cite a policy document (国办发〔2014〕59号) by its numbered section.

    For a statute, ``law``/``article``/``paragraph``/``item`` as everywhere.  For
    a policy document, ``law`` is its title, ``document`` its number, the
    numbered section goes in article/paragraph/item and, as printed, in
    ``section``; ``article`` may be left out only for a document with no
    numbered parts.  ``note`` quotes the words relied on; ``basis`` is the
    law_facts tag (P primary text, C commentary, U unverified).
    """
    note: Optional[str] = None
    basis: Literal["P", "C", "U"] = "P"

    def short(self) -> str:
        if self.document:
            return f"{self.document}" + (f"{self.section}" if self.section else "")
        return super().short()

    def as_json(self) -> dict:
        d = {"law": self.law}
        for k in ("article", "paragraph", "item", "version", "document", "section", "note"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        d["basis"] = self.basis
        return d


class Requirement(Strict):
    fields: list[str] = Field(min_length=1)
    when: str = "true"


class Applies(Strict):
    when: str
    citations: list[CatalogCitation] = Field(default_factory=list)
    requires: Optional[Requirement] = None


class AppliesTo(Strict):
    item: Optional[Applies] = None
    precondition: Optional[Applies] = None
    intermediary: Optional[Applies] = None

    @model_validator(mode="after")
    def _some(self):
        if not any(getattr(self, k) for k in ROW_KINDS):
            raise ValueError(f"至少写一种行类型 (name at least one row kind: {', '.join(ROW_KINDS)})")
        return self


class Reason(Strict):
    zh: str
    en: str
    citations: list[CatalogCitation] = Field(min_length=1)
    applies: AppliesTo


class LevelsParameter(Strict):
    value: list[Literal[tuple(BASIS_LEVELS)]] = Field(min_length=1)
    citations: list[CatalogCitation] = Field(min_length=1)
    note: Optional[str] = None


class PeriodParameter(Strict):
    value: Annotated[int, Field(ge=1), AfterValidator(
        lambda v: within(v, "年数", "a number of years", MAX_PARAMETER_YEARS, "年", "years"))]
    citations: list[CatalogCitation] = Field(min_length=1)
    note: Optional[str] = None


class CleanupFile(Strict):
    kind: Literal["catalog_cleanup"]
    id: str
    title: str
    statutory_levels: LevelsParameter
    temporary_period_years: PeriodParameter
    reasons: dict[str, Reason] = Field(min_length=1)

    @field_validator("reasons")
    @classmethod
    def _codes(cls, v):
        bad = [k for k in v if not _CODE.match(str(k))]
        if bad:
            raise ValueError(f"取消理由代码应形如 'cancel.some_reason'，而不是 {', '.join(map(repr, bad))} "
                             "(reason codes look like 'cancel.some_reason')")
        return v


@dataclass
class Trigger:
    """One reason on one row kind: its compiled condition and the citations it carries."""
    code: str
    kind: str
    condition: Expression
    citations: list[CatalogCitation]
    requires: tuple[list[str], Expression] | None = None


@dataclass
class CleanupRules:
    path: Path
    model: CleanupFile
    triggers: list[Trigger] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return list(self.model.reasons)

    @property
    def statutory_levels(self) -> list[str]:
        return list(self.model.statutory_levels.value)

    @property
    def period_years(self) -> int:
        return self.model.temporary_period_years.value

    def reason(self, code: str) -> Reason:
        return self.model.reasons[code]


DEFAULT_RULES_DIR = Path(__file__).resolve().parent.parent.parent / "rules"


def rule_file(rules_dir: Path | None = None) -> Path:
    return Path(rules_dir or DEFAULT_RULES_DIR) / RULE_FILE


def load_cleanup(rules_dir: Path | None = None) -> CleanupRules:
    """The clean-up rules of ``rules_dir`` (default: the bundled rules/); RuleFileError on any mistake."""
    return load_cleanup_file(rule_file(rules_dir))


def load_cleanup_file(path: Path) -> CleanupRules:
    path = Path(path)
    if not path.is_file():
        raise RuleFileError([Problem(str(path), 0, "找不到目录清理规则文件 (catalogue clean-up rule file not found)")])
    try:
        data = load_yaml(path)
    except ProblemError as e:
        raise RuleFileError([e.problem]) from None
    if not isinstance(data, dict):
        raise RuleFileError([Problem(str(path), 1, "文件应为含 kind: catalog_cleanup 的映射 (the file must be a mapping with kind: catalog_cleanup)")])
    try:
        model = CleanupFile.model_validate(data)
    except ValidationError as e:
        raise RuleFileError(sorted((pydantic_problem(path, data, err) for err in e.errors()),
                                   key=Problem.sort_key)) from None
    problems: list[Problem] = []
    schema, choices = CATALOG.expression_schema(), CATALOG.expression_choices()

    def compile_expr(text: str, loc: tuple) -> Expression | None:
        return compiled_at(text, schema, choices, path, data, loc, problems)

    rules = CleanupRules(path, model)
    for code, reason in model.reasons.items():
        for kind in ROW_KINDS:
            spec = getattr(reason.applies, kind)
            if spec is None:
                continue
            loc = ("reasons", code, "applies", kind)
            cond = compile_expr(spec.when, loc + ("when",))
            req = None
            if spec.requires is not None:
                for i, f in enumerate(spec.requires.fields):
                    if f not in BY_NAME:
                        problems.append(Problem(str(path), line_of(data, loc + ("requires", "fields", i)),
                                                f"{'.'.join(loc)}.requires.fields: 未知的列 (unknown column) '{f}'"))
                req_cond = compile_expr(spec.requires.when, loc + ("requires", "when"))
                req = (list(spec.requires.fields), req_cond)
            if cond is not None:
                rules.triggers.append(Trigger(code, kind, cond, _unique([*reason.citations, *spec.citations]), req))
    if problems:
        raise RuleFileError(sorted(problems, key=Problem.sort_key))
    return rules


def _unique(citations: list[CatalogCitation]) -> list[CatalogCitation]:
    return list(dict.fromkeys(citations))

