"""Compile deadline rule files (``kind: deadline``) and check them against their record kind's schema.

A deadline file names fields of one record kind (approval, disclosure,
complaint): every field is checked to exist with the right type, every
condition is compiled by the rule language, versions may not overlap, and
references to other deadlines (``after_deadlines``, ``unless_overdue``) must
resolve without cycles.  Problems come back as ``file:line`` like any rule file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import Problem
from engine.expr import Expression
from engine.records.kinds import KINDS
from engine.ruleset.models import Citation, Consequence, DatedByModel, Deadline, DeadlineVersion, Extension
from engine.ruleset.yamlload import compiled_at, line_of
from engine.types import FieldType


@dataclass
class CompiledDeadlineVersion(DatedByModel):
    model: DeadlineVersion
    extensions: list[tuple[Extension, Expression | None]]
    consequences: list[tuple[Consequence, Expression]]

    @property
    def citation(self) -> Citation:
        return self.model.citation


@dataclass
class CompiledDeadline:
    model: Deadline
    file: Path
    data: object
    applies_when: Expression | None
    deemed_when: Expression | None
    versions: list[CompiledDeadlineVersion]

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def code(self) -> str:
        return self.model.code

    @property
    def record_kind(self) -> str:
        return self.model.record_kind

    @property
    def version_field(self) -> str:
        return self.model.version_by or self.model.start


def compile_deadline(path: Path, data, model: Deadline) -> tuple[CompiledDeadline | None, list[Problem]]:
    from engine.findings import CODES
    problems: list[Problem] = []
    schema = KINDS[model.record_kind]
    types, choices = schema.expression_schema(), schema.expression_choices()

    def problem(loc: tuple, text: str):
        problems.append(Problem(str(path), line_of(data, loc), text))

    def need_field(name: str | None, want: FieldType, loc: tuple):
        if name is None:
            return
        if name not in types:
            problem(loc, f"{'.'.join(map(str, loc))}: '{name}' 不是 {model.record_kind} 记录的字段 "
                         f"(is not a field of {model.record_kind} records)；可用 (known): {', '.join(sorted(types))}")
        elif types[name] != want:
            problem(loc, f"{'.'.join(map(str, loc))}: '{name}' 为{types[name].zh}字段，此处须为{want.zh} "
                         f"(is a {types[name].value} field, a {want.value} is needed here)")

    def condition(text: str | None, loc: tuple) -> Expression | None:
        return None if text is None else compiled_at(text, types, choices, path, data, loc, problems)

    if model.id != path.stem:
        problem(("id",), f"id '{model.id}' 须与文件名 '{path.stem}' 一致 (id must match the file name)")
    if model.code not in CODES:
        problem(("code",), f"code '{model.code}' 不是已知的问题编码 (is not a known finding code)")
    need_field(model.start, FieldType.DATE, ("start",))
    need_field(model.version_by, FieldType.DATE, ("version_by",))
    for i, f in enumerate(model.closed_by):
        need_field(f, FieldType.DATE, ("closed_by", i))
    deemed_when = None
    if model.deemed_start:
        need_field(model.deemed_start.field, FieldType.DATE, ("deemed_start", "field"))
        deemed_when = condition(model.deemed_start.when, ("deemed_start", "when"))
    applies = condition(model.applies_when, ("applies_when",))

    versions = []
    for vi, v in enumerate(model.versions):
        vloc = ("versions", vi)
        need_field(v.limit_field, FieldType.NUMBER, vloc + ("limit_field",))
        if v.days is not None and (v.extensions or v.limit_field):
            problem(vloc + ("days",), "按自然日计算的期限不能有工作日延长或 limit_field (calendar-day deadlines take no working-day extensions or limit_field)")
        exts = []
        for ei, e in enumerate(v.extensions):
            need_field(e.field, FieldType.NUMBER, vloc + ("extensions", ei, "field"))
            exts.append((e, condition(e.when, vloc + ("extensions", ei, "when"))))
        cons = [(c, condition(c.when, vloc + ("consequences", ci, "when")))
                for ci, c in enumerate(v.consequences)]
        versions.append(CompiledDeadlineVersion(v, exts, cons))
    ordered = sorted(range(len(versions)), key=lambda i: versions[i].valid_from)
    for a, b in zip(ordered, ordered[1:]):
        va, vb = versions[a].model, versions[b].model
        if va.valid_to is None or va.valid_to >= vb.valid_from:
            problem(("versions", b, "valid_from"),
                    f"版本重叠 (versions overlap): {va.valid_from}–{va.valid_to or '…'} 与 (and) {vb.valid_from}–")
    if problems:
        return None, problems
    return CompiledDeadline(model, path, data, applies, deemed_when, [versions[i] for i in ordered]), []


def order_deadlines(deadlines: dict[str, CompiledDeadline]) -> tuple[list[str], list[Problem]]:
    """Deadline ids in an order where every referenced deadline comes first; dangling refs and cycles
    are problems."""
    problems = []
    for d in deadlines.values():
        for key, refs in (("after_deadlines", d.model.after_deadlines),
                          ("unless_overdue", [d.model.unless_overdue] if d.model.unless_overdue else [])):
            for r in refs:
                other = deadlines.get(r)
                if other is None or other.record_kind != d.record_kind:
                    problems.append(Problem(str(d.file), line_of(d.data, (key,)),
                                            f"{key}: 没有 {d.record_kind} 类期限 '{r}' (no {d.record_kind} deadline '{r}')"))
    if problems:
        return [], problems
    order, state = [], {}

    def visit(i, chain):
        if state.get(i) == "done":
            return
        if state.get(i) == "busy":
            d = deadlines[i]
            problems.append(Problem(str(d.file), line_of(d.data, ("id",)),
                                    "期限之间循环引用 (deadlines refer to each other in a cycle): " + " → ".join(chain + [i])))
            return
        state[i] = "busy"
        d = deadlines[i]
        for r in d.model.after_deadlines + ([d.model.unless_overdue] if d.model.unless_overdue else []):
            visit(r, chain + [i])
        state[i] = "done"
        order.append(i)
    for i in sorted(deadlines):
        visit(i, [])
    return order, problems
