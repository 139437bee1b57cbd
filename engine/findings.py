"""Finding codes and how a finding explains itself.

The codes are a contract other tools rely on: each has a fixed category
(overreach 乱作为 / inaction 不作为 / leniency 罚人情款 / procedure 程序) and
severity.  A check produces ``FindingBatch`` objects: one code, a set of row
positions, and its explanation *as columns* — the record fields it used, the
expected and actual values, the messages and the citations — so a hundred
thousand findings are explained by array operations, not a hundred thousand
function calls.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class Code:
    code: str
    category: str
    severity: str
    zh: str            # short Chinese label
    en: str


CODES: dict[str, Code] = {c.code: c for c in (
    Code("penalty.above_statutory_max", "overreach", "high", "罚款超过法定最高限额", "fine above the statutory maximum"),
    Code("penalty.below_statutory_min", "leniency", "high", "无法定减轻情节而低于法定最低限额处罚", "fine below the statutory minimum without a mitigating ground"),
    Code("penalty.outside_tier", "leniency", "medium", "罚款不在情节对应的裁量阶次内", "fine outside the tier the facts allow"),
    Code("penalty.should_not_punish", "overreach", "high", "依法应当不予处罚而给予处罚", "penalty imposed where the law says not to punish"),
    Code("penalty.gain_not_confiscated", "leniency", "high", "未依法没收违法所得或者没收不足", "illegal gain not (fully) confiscated"),
    Code("penalty.sanction_not_permitted", "overreach", "high", "处罚种类无法定依据", "sanction not permitted by the provision"),
    Code("penalty.mandatory_sanction_missing", "leniency", "medium", "遗漏应当并处的处罚种类", "mandatory sanction missing"),
    Code("penalty.time_barred", "overreach", "high", "超过追责时效仍予处罚", "penalty after the limitation period"),
    Code("penalty.no_provision", "overreach", "high", "处罚无有效法律依据 (从旧兼从轻)", "no provision in force (after lex mitior)"),
    Code("penalty.double_fine", "overreach", "high", "同一违法行为两次以上罚款", "same act fined more than once"),
    Code("penalty.persons_not_punished", "leniency", "medium", "未依法处罚应当一并处罚的责任人员", "persons the provision makes punishable with the unit were not punished"),
    Code("penalty.subject_not_provided", "overreach", "high", "处罚对象无法定依据", "the provision does not punish this subject"),
    Code("procedure.too_few_officers", "procedure", "medium", "执法人员少于两人", "fewer than two enforcement officers"),
    Code("procedure.simple_procedure_exceeded", "procedure", "medium", "超出简易程序适用范围", "simple procedure used beyond its limits"),
    Code("procedure.hearing_not_offered", "procedure", "high", "未告知听证权利", "hearing right not notified"),
    Code("procedure.decision_overdue", "inaction", "medium", "超过法定期限作出处罚决定", "decision later than the statutory period"),
    Code("procedure.publication_overdue", "inaction", "low", "未按期公示行政处罚信息", "penalty decision not published in time"),
    # 行政许可 (licensing applications)
    Code("inaction.acceptance_overdue", "inaction", "medium", "逾期未受理也未一次性告知补正", "application neither accepted nor told what is missing in time"),
    Code("inaction.approval_overdue", "inaction", "high", "超过法定期限未作出行政许可决定", "licensing decision later than the statutory limit"),
    Code("inaction.commitment_overdue", "inaction", "low", "超过承诺时限办结", "decision later than the committed time limit"),
    Code("overreach.unlisted_item", "overreach", "high", "实施目录之外的审批事项", "approval item not in the department's catalogue"),
    Code("overreach.unlisted_precondition", "overreach", "high", "擅自增加审批前置条件", "precondition demanded without a retained basis"),
    Code("overreach.mandatory_intermediary", "overreach", "high", "强制要求目录外的中介服务", "intermediary service demanded without a retained basis"),
    Code("overreach.fee_without_basis", "overreach", "high", "无法定依据收取许可费用", "fee charged where the item has no fee basis"),
    # 政府信息公开, 投诉举报
    Code("inaction.disclosure_overdue", "inaction", "medium", "逾期答复政府信息公开申请", "disclosure request answered late"),
    Code("inaction.complaint_acceptance_overdue", "inaction", "medium", "逾期未作出投诉受理决定", "complaint acceptance decided late"),
    Code("inaction.report_verification_overdue", "inaction", "medium", "逾期未核查举报", "report verified late"),
    Code("inaction.complaint_unhandled", "inaction", "high", "投诉举报期限届满仍未办结", "complaint or report still without an outcome after its deadlines"),
    # 权力清单
    Code("overreach.power_not_listed", "overreach", "high", "行使权力清单之外的权力", "power not in the department's power list"),
    Code("overreach.wrong_department", "overreach", "high", "行使其他部门清单内的权力", "power listed for another department"),
)}


def objects(values) -> np.ndarray:
    """A 1-D object array holding ``values`` as they are (lists stay lists, never a 2-D array)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


@dataclass
class FindingBatch:
    """Findings of one code on ``rows``; every per-finding value is aligned with ``rows``.

    Messages are given as ``message_zh``/``message_en`` lists (or Arrow string
    arrays), or deferred as a ``texts`` function returning both, so that building
    a hundred thousand sentences runs in the parallel write phase rather than before it.

    ``expected`` and ``actual`` map a key to a numpy array (one value per
    finding) or to any other value, shared by the whole batch.  ``category`` overrides the code's default
    where the direction decides it (a fine above its tier is overreach, below it
    leniency); ``event_date`` is the date the finding is about (default: the
    decision date; for a missed deadline, the deadline).
    """
    code: str
    rows: np.ndarray
    facts: Sequence[str]
    expected: dict
    actual: dict
    citations: list[dict]
    message_zh: Sequence[str] | None = None
    message_en: Sequence[str] | None = None
    texts: Callable[[], tuple[Sequence[str], Sequence[str]]] | None = None
    category: np.ndarray | None = None
    event_date: np.ndarray | None = None
    certainty: str = "definite"          # or "possible": holds under some of the alternatives blanks leave open
    depends_on: np.ndarray | None = None  # per possible finding: the unknown facts that would decide it

    def messages(self) -> tuple[Sequence[str], Sequence[str]]:
        """(Chinese, English) message per finding; built now if the check deferred them to ``texts``."""
        if self.message_zh is None:
            self.message_zh, self.message_en = self.texts()
        return self.message_zh, self.message_en

    def __len__(self):
        return len(self.rows)

    def keep(self, mask: np.ndarray) -> "FindingBatch":
        """The findings where ``mask`` is true (mask aligned with rows)."""
        def cut(v):
            return v[mask] if isinstance(v, np.ndarray) else v
        zh, en = (list(m.to_pylist()) if hasattr(m, "to_pylist") else m for m in self.messages())
        return replace(self, rows=self.rows[mask],
                       expected={k: cut(v) for k, v in self.expected.items()},
                       actual={k: cut(v) for k, v in self.actual.items()},
                       message_zh=list(objects(zh)[mask]), message_en=list(objects(en)[mask]), texts=None,
                       category=None if self.category is None else self.category[mask],
                       event_date=None if self.event_date is None else self.event_date[mask],
                       depends_on=None if self.depends_on is None else self.depends_on[mask])


@dataclass
class FindingSet:
    batches: list[FindingBatch] = field(default_factory=list)

    def add(self, batch: FindingBatch):
        if len(batch):
            self.batches.append(batch)

    def drop_rows(self, rejected: np.ndarray):
        """Forget findings on rows rejected after they were found: they would be about guesses."""
        kept = []
        for b in self.batches:
            keep = ~rejected[b.rows]
            if not keep.all():
                b = b.keep(keep)
            if len(b):
                kept.append(b)
        self.batches = kept

    def codes_per_row(self, n: int) -> list[list[str]]:
        """Sorted codes for every row, ``[]`` where there are none."""
        by_row = self.codes_by_row()
        return [by_row.get(i, []) for i in range(n)]

    def codes_by_row(self) -> dict[int, list[str]]:
        """Sorted codes of each row that has findings (rows without findings are absent)."""
        out: dict[int, set] = {}
        for b in self.batches:
            for r in b.rows.tolist():
                out.setdefault(r, set()).add(b.code)
        return {r: sorted(c) for r, c in out.items()}

    def count(self) -> int:
        return sum(len(b) for b in self.batches)
