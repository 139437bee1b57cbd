"""prepare → run → verify: the commitment protocol around the pure draw.

* ``prepare`` checks every input (so nothing fails after the seed is known)
  and records SHA-256 digests of the plan and registers with a timestamp:
  published before the seed exists, it pins down what will be drawn from.
* ``run`` refuses inputs that differ from the commitment, computes the draw,
  writes draw.json and the 公示名单, and records the draw in one transaction.
  Same seed again → the same bytes (idempotent); another seed → refused
  unless ``supersede`` with a reason, and both draws stay on record.  The
  ledger checks again, inside that transaction, that the draw in force is
  still the one ``run`` started from: of two runs at the same moment one is
  refused as if it had come second.
* ``verify`` recomputes the draw from the published draw.json and the inputs,
  reports the first difference, and says which field was checked against what.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from engine.draw import SPEC_VERSION, algorithm, document
from engine.draw import tickets as tk
from engine.draw.files import atomic_write_bytes, sha256_file
from engine.draw.ledger import CurrentChanged, Ledger, now_utc
from engine.draw.plan import LoadedPlan, load_plan, parse_plan
from engine.draw.publish import publication_frame, write_csv, write_excel
from engine.draw.registers import Registers, load_registers
from engine.errors import InputError, ZhunshengError
from engine.io.cells import csv_frame

CST = dt.timezone(dt.timedelta(hours=8))
DRAW_JSON = "draw.json"
PUBLICATION = "公示名单"
REJECTED = "rejected.csv"
KINDS = ("plan", "entities", "inspectors", "conflicts")


class Refused(ZhunshengError):
    """The ledger forbids this step (changed inputs, a redraw without --supersede, no commitment)."""


@dataclass
class Inputs:
    plan: Path
    entities: Path
    inspectors: Path
    conflicts: Path

    def paths(self) -> dict:
        return {"plan": self.plan, "entities": self.entities, "inspectors": self.inspectors,
                "conflicts": self.conflicts}

    def digests(self) -> dict:
        return {k: sha256_file(p) for k, p in self.paths().items()}


def commitment_sha256(plan_id: str, committed_at: str, digests: dict) -> str:
    """Digest of the canonical commitment text, so the published commitment itself can be checked."""
    return hashlib.sha256(commitment_text(plan_id, committed_at, digests).encode("utf-8")).hexdigest()


def commitment_text(plan_id: str, committed_at: str, digests: dict) -> str:
    lines = [f"plan_id: {plan_id}", f"committed_at: {committed_at}"]
    lines += [f"{k}_sha256: {digests[k]}" for k in KINDS]
    return "\n".join(lines) + "\n"


def _load_all(inputs: Inputs) -> tuple[LoadedPlan, Registers, list]:
    lp = load_plan(inputs.plan)
    regs = load_registers(inputs.entities, inputs.inspectors, inputs.conflicts)
    filters = lp.compile_filters(regs.entity_schema, regs.inspector_schema)
    _check_repeats(lp)
    _trim_filter_fields(regs, filters)
    return lp, regs, filters


def _trim_filter_fields(regs: Registers, filters) -> None:
    from engine.draw.registers import trim_fields
    ent_fields, ins_fields = LoadedPlan.fields_used(filters)
    trim_fields(regs.entities, ent_fields)
    trim_fields(regs.inspectors, ins_fields)


def _check_repeats(lp: LoadedPlan) -> None:
    from engine.errors import Problem, RuleFileError
    seen = {}
    for i, it in enumerate(lp.plan.items):
        if it.item_id in seen and lp.plan.items[seen[it.item_id]].frequency_cap != it.frequency_cap:
            raise RuleFileError([Problem(lp.path, lp.line("items", i, "frequency_cap"),
                                         f"items[{i}]: 同一事项 {it.item_id} 重复出现时频次上限须一致 "
                                         f"(repeats {it.item_id} with a different frequency_cap)")])
        seen.setdefault(it.item_id, i)


def prepare(inputs: Inputs, db: str | None = None, supersede: bool = False, reason: str | None = None) -> dict:
    lp, regs, _ = _load_all(inputs)
    digests = inputs.digests()
    ledger = Ledger(db)
    try:
        plan_id = lp.plan.plan_id
        latest = ledger.latest_commitment(plan_id)
        current = ledger.current_draw(plan_id)
        if latest is not None and latest.digests == digests and (current is None or current["commitment_id"] == latest.id):
            c, new = latest, False
        else:
            if current is not None and not supersede:
                raise Refused(f"计划 {plan_id} 已抽取，变更输入须注明理由 (plan {plan_id} was already drawn: draw "
                              f"#{current['id']}, seed {current['seed']!r}; a new commitment after a draw needs "
                              "--supersede --reason \"…\")")
            if supersede and not (reason or "").strip():
                raise Refused("--supersede 须说明理由 (--supersede needs --reason \"…\")")
            at = now_utc()
            c = ledger.add_commitment(plan_id, at, digests, commitment_sha256(plan_id, at, digests),
                                      reason if supersede else None)
            new = True
    finally:
        ledger.close()
    return {"commitment": c, "new": new, "counts": regs.counts, "rejected": regs.rejected,
            "text": commitment_text(c.plan_id, c.committed_at, c.digests), "ledger": ledger.safe_url()}


def draw_date_of(lp: LoadedPlan, committed_at: str) -> dt.date:
    """The plan's draw_date, else the commitment's date in China Standard Time (fixed before the seed)."""
    if lp.plan.draw_date is not None:
        return lp.plan.draw_date
    return dt.datetime.fromisoformat(committed_at).astimezone(CST).date()


def _inputs_block(inputs: Inputs, digests: dict, counts: dict) -> dict:
    out = {}
    for k, p in inputs.paths().items():
        entry = {"file": Path(p).name, "sha256": digests[k]}
        if k in counts:
            entry.update(counts[k])
        out[k] = entry
    return out


def compute(lp: LoadedPlan, regs: Registers, filters, inputs: Inputs, digests: dict, history, seed: str,
            seed_note: str, commitment: dict, draw_date: dt.date, supersedes: dict | None,
            files: dict | None = None):
    """The draw and its sealed draw.json: (document, bytes, result).  ``files`` overrides the input
    file names recorded (verify: the names the published draw.json gives)."""
    result = algorithm.run(lp.plan, filters, regs, history, seed)
    block = _inputs_block(inputs, digests, regs.counts)
    for k, name in (files or {}).items():
        block[k]["file"] = name
    doc = document.build(plan=lp.plan, plan_source=lp.text, draw_date=draw_date.isoformat(), seed=seed,
                         seed_note=seed_note, commitment=commitment, inputs=block, result=result,
                         supersedes=supersedes)
    return doc, document.seal(doc), result


def _publication_files(out: Path, lp: LoadedPlan, doc: dict, regs: Registers, formats, positions) -> None:
    """Write the 公示名单 and rejected.csv under pending names (see _Publication)."""
    out.mkdir(parents=True, exist_ok=True)
    frame = publication_frame(lp.plan, doc["draw_date"], doc["selections"], doc["assignments"],
                              doc["unfilled"], regs.entities, regs.inspectors, positions)
    if "csv" in formats:
        write_csv(frame, out / f".{PUBLICATION}.csv.pending")
    if "xlsx" in formats:
        title = f"{lp.plan.department} {lp.plan.plan_id} 双随机抽查公示名单（抽查日期 {doc['draw_date']}，随机种子 {doc['seed']}）"
        write_excel(frame, out / f".{PUBLICATION}.xlsx.pending", title)
    rej = regs.rejected.table().rename(columns={"kind": "名录", "file": "文件", "row": "行号", "id": "编号",
                                                "reason": "原因"})
    atomic_write_bytes(out / f".{REJECTED}.pending",
                       csv_frame(rej).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"))


class _Publication:
    """The publication files, written under pending names and made visible only after the ledger commit.

    (Writing them in a forked child during the ledger transaction was tried:
    on the two-core machine copy-on-write faults ate the gain and added 1 GiB.)
    """

    def __init__(self, out: Path, lp, doc, regs, formats, positions):
        self.out = Path(out)
        self.error = None
        names = [f"{PUBLICATION}.csv"] * ("csv" in formats) + [f"{PUBLICATION}.xlsx"] * ("xlsx" in formats)
        self.pending = {self.out / n: self.out / f".{n}.pending" for n in names + [REJECTED]}
        try:
            _publication_files(self.out, lp, doc, regs, formats, positions)
        except BaseException as e:
            self.error = e

    def wait(self) -> None:
        """Raise if the files could not be written (called inside the ledger transaction, before commit)."""
        if self.error is not None:
            self.discard()
            if isinstance(self.error, OSError):
                raise InputError(f"写入公示文件失败 (writing the publication files in {self.out} failed): "
                                 f"{self.error}") from None
            raise self.error

    def finish(self, data: bytes) -> list[Path]:
        for final, tmp in self.pending.items():
            os.replace(tmp, final)
        atomic_write_bytes(self.out / DRAW_JSON, data)  # last: its presence means the set is complete
        return list(self.pending) + [self.out / DRAW_JSON]

    def discard(self) -> None:
        for tmp in self.pending.values():
            tmp.unlink(missing_ok=True)


def _write_outputs(out: Path, data: bytes, lp: LoadedPlan, doc: dict, regs: Registers, formats,
                   positions: list) -> list[Path]:
    pub = _Publication(out, lp, doc, regs, formats, positions)
    pub.wait()
    return pub.finish(data)


def _target_rows(doc: dict, lp: LoadedPlan) -> list[tuple]:
    """One ledger row per selection (columns as ``ledger.TARGET_COLUMNS``): its team or why it is unfilled."""
    index = {}
    for i, it in enumerate(lp.plan.items):
        index.setdefault(it.item_id, i)
    assigned = {(a["item_id"], a["entity_id"]): ";".join(a["inspectors"]) for a in doc["assignments"]}
    reasons = {(u["item_id"], u["entity_id"]): u["reason"] for u in doc["unfilled"]}
    rows = []
    for s in doc["selections"]:
        key = (s["item_id"], s["entity_id"])
        reason = reasons.get(key)
        rows.append((index[s["item_id"]], s["item_id"], s["credit_class"], s["rank"], s["entity_id"], s["ticket"],
                     assigned.get(key, ""), "unfilled" if reason is not None else "assigned", reason))
    return rows


def _redraw(plan_id: str, current: dict | None, c, seed: str, seed_note: str, supersede: bool,
            reason: str | None) -> bool:
    """May this run draw, given the draw in force?  True: it repeats that draw (idempotent); False:
    a new draw; Refused otherwise.  Asked before computing and again if the ledger finds that the
    draw in force changed meanwhile, so a run that lost a race is refused as if it had come second."""
    same = current is not None and current["seed"] == seed and current["commitment_id"] == c.id
    if current is not None and not same and not supersede:
        raise Refused(f"计划 {plan_id} 已抽取，不得重新抽取，除非注明理由作废原抽取结果 (plan {plan_id} was "
                      f"already drawn with seed {current['seed']!r} (draw #{current['id']}); a draw with another "
                      "seed or other inputs needs --supersede --reason \"…\")")
    if supersede and not same and not (reason or "").strip():
        raise Refused("--supersede 须说明理由 (--supersede needs --reason \"…\")")
    if same and seed_note != current["seed_note"]:
        raise Refused(f"本次抽取登记的种子来源说明为 {current['seed_note']!r}，重新运行须与之相同 "
                      f"(this draw was recorded with seed note {current['seed_note']!r}; an idempotent re-run "
                      "must repeat it)")
    return same


def run(inputs: Inputs, seed: str, seed_note: str, out: Path, db: str | None = None, supersede: bool = False,
        reason: str | None = None, formats=("csv", "xlsx")) -> dict:
    if not seed:
        raise InputError("随机种子不能为空 (--seed is empty)")
    if not (seed_note or "").strip():
        raise InputError("须说明种子来源 (--seed-note is empty: say who produced the seed and how)")
    lp = load_plan(inputs.plan)
    digests = inputs.digests()
    ledger = Ledger(db)
    try:
        plan_id = lp.plan.plan_id
        c = ledger.latest_commitment(plan_id)
        if c is None:
            raise Refused(f"账本中没有计划 {plan_id} 的承诺，须先登记承诺：运行 `zhunsheng draw prepare` 并在抽取种子前"
                          f"公布承诺 (no commitment for plan {plan_id} in the ledger: run `zhunsheng draw "
                          "prepare` and publish the commitment before the seed is drawn)")
        changed = [k for k in KINDS if c.digests[k] != digests[k]]
        if changed:
            raise Refused("输入文件与承诺不一致，拒绝抽取 (inputs differ from the commitment of " + c.committed_at + ": "
                          + "; ".join(f"{k} sha256 {digests[k]} ≠ committed {c.digests[k]}" for k in changed)
                          + ")")
        current = ledger.current_draw(plan_id)
        same = _redraw(plan_id, current, c, seed, seed_note, supersede, reason)
        lp, regs, filters = _load_all(inputs)
        draw_date = draw_date_of(lp, c.committed_at)
        commitment = {"committed_at": c.committed_at, "sha256": c.commitment_sha256}
        if same:
            history_before = current["id"]
            sup_row = ledger.draw_by_id(current["supersedes_id"]) if current["supersedes_id"] else None
            supersedes = ({"seed": sup_row["seed"], "reason": current["supersede_reason"]} if sup_row else None)
        else:
            history_before = None
            supersedes = ({"seed": current["seed"], "reason": reason} if current is not None else None)
        history = ledger.history(plan_id, draw_date, lp.plan.items, before_id=history_before)
        doc, data, result = compute(lp, regs, filters, inputs, digests, history, seed, seed_note, commitment,
                                    draw_date, supersedes)
        sha = hashlib.sha256(data).hexdigest()
        if same:
            if sha != current["result_sha256"]:
                legacy = document.unsealed(doc)   # recorded by a version that wrote no record_sha256
                if hashlib.sha256(legacy).hexdigest() != current["result_sha256"]:
                    raise Refused(f"重新运行第 {current['id']} 次抽取得到不同结果，软件或账本历史已变化，未写入任何文件 "
                                  f"(re-running draw #{current['id']} gives a different result: sha256 {sha} ≠ "
                                  f"recorded {current['result_sha256']}; the software or the ledger history "
                                  "changed; nothing was written)")
                data, sha = legacy, current["result_sha256"]
                del doc[document.RECORD]
            written = _write_outputs(Path(out), data, lp, doc, regs, formats, result.positions)
            return {"draw_id": current["id"], "new": False, "sha256": sha, "doc": doc, "written": written,
                    "counts": regs.counts}
        pub = _Publication(Path(out), lp, doc, regs, formats, result.positions)
        try:
            row = {"plan_id": plan_id, "commitment_id": c.id, "seed": seed, "seed_note": seed_note,
                   "draw_date": draw_date.isoformat(), "spec_version": SPEC_VERSION, "created_at": now_utc(),
                   "result_sha256": sha, "supersedes_id": current["id"] if current is not None else None,
                   "supersede_reason": reason if current is not None else None}
            draw_id = ledger.record_draw(row, _target_rows(doc, lp), current["id"] if current is not None else None,
                                         before_commit=pub.wait)
        except CurrentChanged:
            pub.discard()
            _lost_race(ledger, plan_id, current, c, seed, seed_note, supersede, reason)
        except BaseException:
            pub.discard()
            raise
        written = pub.finish(data)
        return {"draw_id": draw_id, "new": True, "sha256": sha, "doc": doc, "written": written,
                "counts": regs.counts}
    finally:
        ledger.close()


def _lost_race(ledger: Ledger, plan_id: str, before: dict | None, c, seed: str, seed_note: str, supersede: bool,
               reason: str | None):
    """Another run recorded a draw of the plan while this one computed: refuse as if this run came second."""
    now = ledger.current_draw(plan_id)
    _redraw(plan_id, now, c, seed, seed_note, supersede, reason)   # raises the refusal a later run would get
    what = f"draw #{now['id']} (seed {now['seed']!r})" if now is not None else "a change"
    was = f"draw #{before['id']}" if before is not None else "no draw"
    raise Refused(f"计算期间另一次运行已登记本计划的抽取，本次未登记，请重新运行 (plan {plan_id}: while this draw "
                  f"was computed, another run recorded {what}, where {was} was in force; nothing was "
                  "recorded: run again to see where the plan stands)")


def verify(draw_json: Path, entities: Path, inspectors: Path, conflicts: Path, plan: Path | None = None,
           db: str | None = None, use_ledger: bool = False) -> dict:
    """Recompute a published draw.

    Returns {'ok': bool, 'difference': str|None, 'notes': [...], 'checked': [...], 'published': dict|None};
    ``checked`` says, after OK, which field was checked against what (document.VERIFIED).
    """
    published, raw, diff = document.load(draw_json)
    notes: list = []
    if diff is not None:
        return {"ok": False, "difference": diff, "notes": notes, "checked": [], "published": None}

    def differs(text: str) -> dict:
        return {"ok": False, "difference": text, "notes": notes, "checked": [], "published": published}

    if plan is None:  # the plan text travels inside draw.json; its digest is checked like a file's
        plan_text = published["plan_source"]
        plan_digest = hashlib.sha256(plan_text.encode("utf-8")).hexdigest()
        notes.append("计划取自 draw.json 的 plan_source (plan taken from draw.json)")
    else:
        plan_digest = sha256_file(plan)
    digests = {"plan": plan_digest, "entities": sha256_file(entities), "inspectors": sha256_file(inspectors),
               "conflicts": sha256_file(conflicts)}
    for k in KINDS:   # before anything is parsed: a file that is not the drawn input is not read further
        if published["inputs"][k]["sha256"] != digests[k]:
            return differs(f".inputs.{k}.sha256: 所给文件的摘要为 {digests[k]}，draw.json 中为 "
                           f"{published['inputs'][k]['sha256']}，不是抽取时的输入文件 (the given file has "
                           f"{digests[k]}, draw.json has {published['inputs'][k]['sha256']}: not the drawn input)")
    lp = parse_plan(plan_text, Path(published["inputs"]["plan"]["file"])) if plan is None else load_plan(plan)
    inputs = Inputs(Path(plan or published["inputs"]["plan"]["file"]), Path(entities), Path(inspectors),
                    Path(conflicts))
    regs = load_registers(entities, inspectors, conflicts)
    filters = lp.compile_filters(regs.entity_schema, regs.inspector_schema)
    _trim_filter_fields(regs, filters)
    history = algorithm.history_from_document(published)
    committed_at = published["commitment"]["committed_at"]
    draw_date = dt.date.fromisoformat(published["draw_date"])
    if draw_date != draw_date_of(lp, committed_at):
        origin = "plan says" if lp.plan.draw_date is not None else "the commitment's date (China Standard Time) is"
        origin_zh = "计划中的抽查日期为" if lp.plan.draw_date is not None else "承诺登记日期（北京时间）为"
        return differs(f".draw_date: {origin_zh} {draw_date_of(lp, committed_at)}，文件中为 {draw_date} "
                       f"({origin} {draw_date_of(lp, committed_at)}, file has {draw_date})")
    commitment = {"committed_at": committed_at,
                  "sha256": commitment_sha256(lp.plan.plan_id, committed_at, digests)}
    files = {k: published["inputs"][k]["file"] for k in KINDS}   # a renamed copy is still the same input
    doc, data, _ = compute(lp, regs, filters, inputs, digests, history, published["seed"], published["seed_note"],
                           commitment, draw_date, published["supersedes"], files)
    sealed = document.RECORD in published
    if not sealed:   # written before draw.json had record_sha256: compare what that version wrote
        del doc[document.RECORD]
        data = document.unsealed(doc)
    diff = document.first_difference(doc, published)
    if diff is not None:
        if diff.startswith(".commitment.sha256:"):
            diff += ("；commitment.sha256 由 plan_id、committed_at 与输入文件摘要重新计算，其一被改动 (recomputed "
                     "from plan_id, committed_at and the input digests: one of them was edited)")
        elif diff.startswith(f".{document.RECORD}:"):
            diff += ("；record_sha256 未随其他字段重新计算：seed_note、supersedes 或输入文件名在抽取后被改动 "
                     "(a field verify cannot recompute — seed_note, supersedes, an input file name — was edited "
                     "after the draw)")
        return differs(diff)
    if data != raw:
        return differs("内容一致但字节不同，文件被重新格式化 (the content matches but the bytes differ: the file was re-formatted)")
    sha = hashlib.sha256(raw).hexdigest()
    if use_ledger:
        notes.extend(_ledger_notes(db, published, sha))
    elif not sealed:
        return differs(f".{document.RECORD}: 缺少：旧版本生成的 draw.json，seed_note、supersedes 与输入文件名"
                       "只能与账本核对，请加 --ledger (missing: this draw.json predates record_sha256, so "
                       "seed_note, supersedes and the input file names can only be checked against the ledger: "
                       "use --ledger)")
    return {"ok": True, "difference": None, "notes": notes, "published": published,
            "checked": _checked(doc, sha, sealed, use_ledger)}


def _checked(doc: dict, sha: str, sealed: bool, use_ledger: bool) -> list[str]:
    """What an OK covers, field by field (Chinese first, English after), and what to compare by hand.
    Without record_sha256 (an older draw.json, OK only with --ledger) the ledger's digest covers
    what the seal would."""
    out = []
    for key, zh, en, fields in document.VERIFIED:
        if not sealed and key == "record":
            continue
        if not sealed and key == "sealed":
            zh, en = document.LEDGER_COVERS
        out.append(f"{zh} ({en}): {', '.join(fields)}")
    out.append(f"commitment.sha256 = {doc['commitment']['sha256']}：请与抽取前公布的承诺核对 "
               "(compare it with the commitment published before the seed)")
    if use_ledger:
        out.append(f"draw.json SHA-256 = {sha}：与账本记录一致，覆盖全部字段 (recorded in the ledger; covers every field)")
    else:
        out.append(f"draw.json SHA-256 = {sha}：record_sha256 只能发现未重算摘要的改动；请与公布的摘要核对，"
                   "或加 --ledger 与账本核对 (record_sha256 finds edits that did not recompute it; compare this "
                   "digest with the published one, or use --ledger)")
    return out


def _ledger_notes(db, published: dict, sha: str) -> list[str]:
    ledger = Ledger(db)
    try:
        rows = ledger.draws_of_plan(published["plan_id"])
    finally:
        ledger.close()
    mine = [r for r in rows if r["result_sha256"] == sha]
    if not mine:
        raise Refused(f"账本中没有与此 draw.json 一致的抽取记录 (the ledger at {ledger.safe_url()} has no draw of "
                      f"{published['plan_id']} with this draw.json, sha256 {sha}; it records {len(rows)} draw(s) "
                      "of the plan)")
    r = mine[-1]
    later = [x for x in rows if x["supersedes_id"] == r["id"]]
    note = f"账本记录 (ledger: draw #{r['id']} recorded {r['created_at']})"
    if later:
        note += f"；已被作废 (SUPERSEDED by draw #{later[0]['id']}: {later[0]['supersede_reason']})"
    return [note]


def explain(published: dict, entity_id: str, entities_frame=None) -> list[str]:
    """Hand-checkable steps for one entity's tickets, e.g. with `printf %s … | sha256sum`."""
    seed = published["seed"]
    out = []
    items = []
    for s in published["strata"]:
        if (s["item_id"], s["credit_class"]) not in items:
            items.append((s["item_id"], s["credit_class"]))
    cls = None
    for s in published["selections"]:
        if s["entity_id"] == entity_id:
            cls = s["credit_class"]
    if entities_frame is not None:
        hit = entities_frame.loc[entities_frame["entity_id"] == entity_id, "credit_class"]
        if len(hit):
            cls = hit.iloc[0]
    if cls is None:
        raise InputError(f"{entity_id}: 不在所给的检查对象名录中（或已被名录拒绝）(not in the entity register given, "
                         "or rejected there)")
    seen = set()
    for item_id, c in items:
        if c != cls or item_id in seen:
            continue
        seen.add(item_id)
        S = f"{seed}|E|{item_id}|{c}"
        h1 = tk.seed_hex(S)
        msg = h1 + entity_id
        h2 = hashlib.sha256(msg.encode("utf-8")).hexdigest()
        dec = str(int(h2, 16))
        padded = dec.zfill(tk.PAD_DIGITS)
        full = "0." + padded[::-1]
        stratum = [s for s in published["strata"] if s["item_id"] == item_id and s["credit_class"] == c][0]
        sel = [s for s in published["selections"] if s["item_id"] == item_id and s["entity_id"] == entity_id]
        last = [s for s in published["selections"] if s["item_id"] == item_id and s["credit_class"] == c]
        out += [f"事项 {item_id}，信用风险分类 {c} (item, credit class)",
                f"  1. S = {S}",
                f"  2. SHA-256(S) = {h1}      # printf '%s' '{S}' | sha256sum",
                f"  3. SHA-256(SHA-256(S) hex + id) = {h2}",
                f"     # printf '%s' '{msg}' | sha256sum",
                f"  4. as a decimal integer ({len(dec)} digits) = {dec}",
                f"  5. zero-padded to ≥64 digits and reversed: ticket = {full}",
                f"  6. first 18 digits: {full[:20]}"]
        if sel:
            out.append(f"  → selected: rank {sel[0]['rank']} of n = {stratum['n']} "
                       f"(|E| = {stratum['eligible']}); published ticket {sel[0]['ticket']}")
        elif last:
            out.append(f"  → not selected: the n = {stratum['n']} lowest tickets end at {last[-1]['ticket']} "
                       f"(if the entity was eligible, its ticket is above that)")
        else:
            out.append(f"  → not selected: n = {stratum['n']} in this stratum")
        for a in published["assignments"]:
            if a["item_id"] == item_id and a["entity_id"] == entity_id:
                SI = f"{seed}|I|{item_id}|{entity_id}"
                out.append(f"  inspectors: S = {SI}; lowest eligible tickets: "
                           + ", ".join(f"{i} {t}" for i, t in zip(a["inspectors"], a["tickets"])))
    return out
