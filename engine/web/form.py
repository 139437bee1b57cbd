"""The calculator's form: which facts to ask for one provision, and the record a filled form makes.

Why derived, not written per provision: the facts a provision turns on are read from its rule file
(``engine.penalty.alternatives.provision_facts``), and the facts every decision is checked on (the
decision itself, the party, the procedure and its dates: 行政处罚法 Arts. 28, 29, 36, 42, 51, 60, 63)
are those the engine's own checks read.  A new rule file therefore gets its form without a line of
web code.  A blank field is left out of the record: the engine reads it as UNKNOWN, never as zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from engine.penalty.alternatives import ALWAYS, provision_facts
from engine.records.schema import PENALTY
from engine.types import FieldType as T

# the decision being checked: what was imposed
DECISION = ("fine", "confiscated_gain", "sanctions", "factors")
# the party, the procedure and the dates the 行政处罚法 checks read, in the order a file is read
PROCEDURE = ("party_type", "procedure", "violation_date", "violation_end_date", "discovered_date", "filed_date",
             "decision_date", "publicized_date", "officers", "hearing_notified", "extension_approved")
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class Field:
    name: str
    zh: str
    widget: str                   # money | number | date | bool | choice | checks | text
    choices: tuple = ()           # (code, Chinese word) pairs
    hint: str = ""
    marked: tuple = ()            # choices the provision itself names (its sanctions)


@dataclass
class Group:
    title: str
    fields: list[Field] = field(default_factory=list)


def _widget(col) -> str:
    if col.type == T.DATE:
        return "date"
    if col.type == T.BOOL:
        return "bool"
    if col.type == T.LIST:
        return "checks" if col.codes else "text"
    if col.codes:
        return "choice"
    if col.type == T.NUMBER:
        return "money" if col.money else "number"
    return "text"


def field_of(name: str, marked: tuple = (), declared: dict | None = None) -> Field:
    """``declared``: the facts the provision's rule file declares beyond the core record (name → Column), asked
    for in their own Chinese words and widget like core fields."""
    col = PENALTY.by_name.get(name) or (declared or {}).get(name)
    if col is None:
        return Field(name, name, "text")
    choices = tuple((code, words[0] if words else code) for code, words in col.codes.items())
    hint = {"money": "元 yuan", "checks": "", "text": "多人用 ; 分隔 (several: separate with ;)"
            if col.type == T.LIST else ""}.get(_widget(col), "")
    return Field(name, col.zh, _widget(col), choices, hint, marked)


def provision_sanctions(cp) -> tuple:
    return tuple(sorted({s for v in cp.versions for b in v.branches for s in b.sanctions}))


def groups(cp) -> list[Group]:
    """The form of one provision: its own facts, the decision, then party, procedure and dates."""
    own = [f for f in sorted(provision_facts(cp)) if f not in DECISION]
    confiscation = any(v.model.confiscate_gain != "none" for v in cp.versions) or "illegal_gain" in own
    decision = [f for f in DECISION if f != "confiscated_gain" or confiscation]
    rest = [f for f in PROCEDURE if f not in own]
    rest += [f for f in ALWAYS if f not in own and f not in rest]
    if cp.model.life_health and "harm" not in own:    # 行政处罚法 Art. 36: five years if life or health was harmed
        rest.append("harm")
    sanctions = provision_sanctions(cp)
    from engine.records.schema import declared_column
    declared = {f.name: declared_column(f) for f in cp.model.facts}
    return [Group("本条款所需事实 Facts this provision turns on", [field_of(f, declared=declared) for f in own]),
            Group("处罚决定 The decision", [field_of(f, sanctions if f == "sanctions" else ()) for f in decision]),
            Group("当事人、程序与日期 Party, procedure and dates", [field_of(f) for f in rest])]


def all_fields(cp) -> list[Field]:
    return [f for g in groups(cp) for f in g.fields]


def record_of(cp, form) -> dict:
    """The record a submitted form makes (``form``: a mapping with ``getlist``, as Starlette gives it).

    Only the provision's fields are read; blanks are left out (UNKNOWN); a checkbox list is a list of
    codes that the schema knows, so no other word reaches the engine from a checkbox."""
    record: dict = {"violation_code": cp.id}
    for f in all_fields(cp):
        if f.widget == "checks":
            allowed = {c for c, _ in f.choices}
            picked = [v for v in form.getlist(f.name) if v in allowed]
            if picked:
                record[f.name] = picked
            continue
        value = str(form.get(f.name) or "").strip()
        if not value:
            continue
        if f.widget in ("choice", "bool") and value not in {c for c, _ in f.choices} | {"true", "false"}:
            continue
        record[f.name] = value
    case_id = str(form.get("case_id") or "").strip()
    record["case_id"] = case_id or "CHECK-1"
    return record


