"""特别法优先: a provision that applies only where no other law provides (消费者权益保护法 Art. 56 ¶1:
"其他有关法律、法规对处罚机关和处罚方式有规定的，依照法律、法规的规定执行") gives way to the provisions of
other laws that punish the same conduct.  Conduct is not a field of the record, so the candidates are the
provisions of other laws that read one of the facts the yielding provision reads — a list for a person to
check, printed by ``rules show``, ``rules lint`` and ``check``, never a finding."""
from __future__ import annotations

# facts every provision may read: sharing them says nothing about the conduct
GENERIC = frozenset({"fine", "serious", "harm", "party_type", "subject", "violation_date", "decision_date",
                     "illegal_gain", "confiscated_gain", "refused_correction", "factors", "sanctions"})


def yielding_candidates(rs, cp) -> list[str]:
    """``PID (facts)`` for each provision of another law sharing a specific fact with ``cp``."""
    own = set(cp.fields_read) - GENERIC
    out = []
    for pid, other in rs.provisions.items():
        if other.model.citation.law == cp.model.citation.law or other.model.yields is not None:
            continue
        shared = own & set(other.fields_read)
        if shared:
            out.append(f"{pid} ({'、'.join(sorted(shared))})")
    return out


def yielding_notes(rs) -> list[str]:
    """One line per yielding provision for ``rules lint``: what it yields to, Chinese first."""
    out = []
    for pid, cp in rs.provisions.items():
        if cp.model.yields is None:
            continue
        others = yielding_candidates(rs, cp)
        out.append(f"注 note: {pid} 只在其他法律、法规未作规定时适用 (applies only where no other law provides), "
                   f"{cp.model.yields.citation.short()}；可能优先适用的条款 may yield to {len(others)}: "
                   + (", ".join(others) if others else "无 none"))
    return out
