"""``draw verify``: every field of draw.json is recomputed or covered by record_sha256, the output says
which was checked against what, and malformed documents are clear errors (exit 2), never tracebacks."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re

import pytest
import sqlalchemy as sa

from engine.draw import document
from engine.draw import ledger as ledger_mod

from .helpers import input_args
from .test_workflow import _second_plan, doc, prepare, run


@pytest.fixture
def rich(cli, sample, tmp_path):
    """A draw.json with every optional part filled: history (caps and rotation), unfilled targets and a
    superseded earlier draw.  Returns (path of draw.json, the inputs)."""
    first = _second_plan(sample, tmp_path, 365, "2025-SJ-01", "2025-03-10")
    assert prepare(cli, first).exit_code == 0 and run(cli, first, tmp_path / "a").exit_code == 0
    again = _second_plan(sample, tmp_path, 100, "2025-SJ-03")
    text = again["plan"].read_text(encoding="utf-8")
    # PUB-01 asks for more inspectors than it may draw from: its targets are unfilled
    again["plan"].write_text(text.replace("inspectors_per_target: 2\n    inspector_filter",
                                          "inspectors_per_target: 9\n    inspector_filter"), encoding="utf-8")
    assert prepare(cli, again).exit_code == 0
    assert run(cli, again, tmp_path / "b").exit_code == 0
    r = run(cli, again, tmp_path / "c", "9-9-9", "--supersede", "--reason", "录入错误")
    assert r.exit_code == 0, r.output
    d = doc(tmp_path / "c")
    assert d["supersedes"] and d["unfilled"] and d["history"]["cap_counts"] \
        and d["history"]["previous_inspectors"] and d["assignments"]
    return tmp_path / "c" / "draw.json", again


def leaf_paths(value, path=()):
    """Every field of a JSON document: dict keys all the way down, the first element of each list."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaf_paths(v, path + (k,))
    elif isinstance(value, list) and value:
        yield from leaf_paths(value[0], path + (0,))
    else:
        yield path


def edited(value):
    """A different value of the same type and shape (so only verify's checks can notice)."""
    if isinstance(value, bool) or value is None:
        raise AssertionError(f"no edit for {value!r}")
    if isinstance(value, int):
        return value + 1
    if isinstance(value, list):
        return value + value[-1:] if value else ["x"]
    try:
        return (dt.date.fromisoformat(value) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        pass
    try:
        return (dt.datetime.fromisoformat(value) + dt.timedelta(seconds=1)).isoformat()
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-f]{64}", value):
        return ("0" if value[0] != "0" else "1") + value[1:]
    return value + "x"


def dotted(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def test_every_field_of_draw_json_is_checked(cli, rich):
    path, inputs = rich
    original = json.loads(path.read_text(encoding="utf-8"))
    fields = list(leaf_paths(original))
    assert len(fields) > 40 and ("seed_note",) in fields and ("inputs", "entities", "file") in fields
    assert cli("verify", path, *input_args(inputs)).exit_code == 0
    for field in fields:
        d = copy.deepcopy(original)
        parent = d
        for p in field[:-1]:
            parent = parent[p]
        parent[field[-1]] = edited(parent[field[-1]])
        path.write_bytes(document.dumps(d))          # canonical bytes: only the checks can notice
        r = cli("verify", path, *input_args(inputs))
        assert r.exit_code == 1 and "DIFFERENCE" in r.output and "OK" not in r.output, (dotted(field), r.output)


@pytest.mark.parametrize("field", ["seed_note", "commitment.committed_at", "commitment.sha256",
                                   "inputs.entities.file"])
def test_the_edits_of_the_report_are_found(cli, sample, tmp_path, field):
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    path = tmp_path / "a" / "draw.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    *parents, last = field.split(".")
    target = d
    for p in parents:
        target = target[p]
    target[last] = edited(target[last])
    path.write_bytes(document.dumps(d))
    r = cli("verify", path, *input_args(sample))
    assert r.exit_code == 1 and "byte-identical" not in r.output, r.output
    want = ".commitment.sha256" if field.startswith("commitment") else ".record_sha256"
    assert f"DIFFERENCE): {want}" in r.output


def test_ok_says_what_was_checked_against_what(cli, rich):
    path, inputs = rich
    r = cli("verify", path, *input_args(inputs))
    assert r.exit_code == 0, r.output
    out = r.output[r.output.index("核对内容 (what was checked against what):"):]
    listed = set(re.findall(r"[a-z_*][a-z0-9_*]*(?:\.[a-z0-9_*]+)*", out))
    for field in leaf_paths(json.loads(path.read_text(encoding="utf-8"))):
        names = [p for p in field if isinstance(p, str)]
        if names[0] == "inputs":
            names[1] = "*"
        prefixes = {".".join(names[:i]) for i in range(1, len(names) + 1)}
        assert prefixes & listed, f"{dotted(field)} is not named in the verify output:\n{out}"
    d = doc(path.parent)
    assert d["commitment"]["sha256"] in out and hashlib.sha256(path.read_bytes()).hexdigest() in out
    for line in out.splitlines()[1:]:           # Chinese first, English after
        assert re.search(r"[\u4e00-\u9fff][^(]*\([a-z]", line), line


def test_record_sha256_is_the_digest_of_the_file_without_its_line(cli, sample, tmp_path):
    """What docs/draw.md tells a reader to check by hand."""
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    raw = (tmp_path / "a" / "draw.json").read_bytes()
    lines = raw.split(b"\n")
    assert lines[-3].startswith(b'"record_sha256": "') and lines[-2:] == [b"}", b""]
    body = b"\n".join(lines[:-3]).removesuffix(b",") + b"\n}\n"
    assert hashlib.sha256(body).hexdigest() == json.loads(raw)["record_sha256"]
    d = json.loads(raw)
    assert document.seal(dict(d)) == raw == document.dumps(d)


def test_draw_json_of_an_older_version(cli, sample, tmp_path):
    """Written before record_sha256: verify needs the ledger for what it cannot recompute; an idempotent
    re-run rewrites what the ledger recorded."""
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    path = tmp_path / "a" / "draw.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    old = document.unsealed(d)
    path.write_bytes(old)
    eng = sa.create_engine(cli.db)
    with eng.begin() as cx:
        cx.execute(ledger_mod.draws.update().values(result_sha256=hashlib.sha256(old).hexdigest()))
    eng.dispose()
    r = cli("verify", path, *input_args(sample))
    assert r.exit_code == 1 and "--ledger" in r.output and ".record_sha256" in r.output
    r = cli("verify", path, *input_args(sample), "--ledger")
    assert r.exit_code == 0 and "ledger: draw #1" in r.output, r.output
    assert "由账本记录的 draw.json SHA-256 覆盖" in r.output and "record_sha256" not in r.output
    r = run(cli, sample, tmp_path / "b")
    assert r.exit_code == 0 and "idempotent" in r.output, r.output
    assert (tmp_path / "b" / "draw.json").read_bytes() == old


def test_ledger_check_covers_the_whole_file(cli, sample, tmp_path):
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    r = cli("verify", tmp_path / "a" / "draw.json", *input_args(sample), "--ledger")
    assert r.exit_code == 0 and "与账本记录一致，覆盖全部字段" in r.output


DEEP = b"[" * 100_000


@pytest.mark.parametrize("content, says", [
    (DEEP, "JSON 无法解析"),
    (b"[" * 1000 + b"]" * 1000, "应为 JSON 对象"),
    (b"[]", "应为 JSON 对象"),
    (b"\"draw\"", "应为 JSON 对象"),
    (b"\xff\xfe{", "JSON 无法解析"),
    (b'{"spec_version": "zhunsheng-draw/1"}', ".algorithm: 缺少"),
])
def test_malformed_draw_json_is_a_clear_error(cli, sample, tmp_path, content, says):
    path = tmp_path / "draw.json"
    path.write_bytes(content)
    r = cli("verify", path, *input_args(sample))
    assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output, r.output[:500]


DEEP_MARK = "<deep>"
@pytest.mark.parametrize("change, says", [
    (lambda d: d.update(year="2025"), ".year: 应为整数"),
    (lambda d: d.update(year=True), ".year: 应为整数"),
    (lambda d: d.update(seed_note=None), ".seed_note: 应为字符串"),
    (lambda d: d.update(seed_note=DEEP_MARK), ".seed_note: 应为字符串 (expected a string), 实为 (found) an array"),
    (lambda d: d.update(draw_date="2025-13-45"), ".draw_date: 应为日期"),
    (lambda d: d["commitment"].update(committed_at="2025-03-01T08:00:00"), ".commitment.committed_at: 应为带时区"),
    (lambda d: d.pop("selections"), ".selections: 缺少"),
    (lambda d: d.update(extra=1), ".extra: 未知字段"),
    (lambda d: d.update(inputs=[]), ".inputs: 应为对象"),
    (lambda d: d["selections"][3].update(rank="4"), ".selections[3].rank: 应为整数"),
    (lambda d: d["selections"][2].pop("ticket"), ".selections[2].ticket: 缺少"),
    (lambda d: d["assignments"][1]["inspectors"].append(7), ".assignments[1].inspectors[2]: 应为字符串"),
    (lambda d: d["strata"][0]["excluded"].update(status=-1.5), ".strata[0].excluded.status: 应为整数"),
    (lambda d: d["history"].update(cap_counts={}), ".history.cap_counts: 应为数组"),
    (lambda d: d.update(supersedes={"seed": "x"}), ".supersedes.reason: 缺少"),
    (lambda d: d.update(record_sha256=None), ".record_sha256: 应为字符串"),
])
def test_draw_json_of_the_wrong_shape_is_a_clear_error(cli, sample, tmp_path, change, says):
    prepare(cli, sample)
    run(cli, sample, tmp_path / "a")
    path = tmp_path / "a" / "draw.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    change(d)
    text = json.dumps(d, ensure_ascii=False).replace(f'"{DEEP_MARK}"', "[" * 1000 + "1" + "]" * 1000)
    path.write_text(text, encoding="utf-8")
    r = cli("verify", path, *input_args(sample), "--explain", d.get("selections", [{}])[0].get("entity_id", "x"))
    assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output, r.output[:500]
    assert "draw.json 格式不正确 (not a valid draw.json)" in r.output


def test_another_spec_version_is_a_difference(cli, sample, tmp_path):
    path = tmp_path / "draw.json"
    path.write_text('{"spec_version": ["zhunsheng-draw/9"]}', encoding="utf-8")
    r = cli("verify", path, *input_args(sample), "--explain", "x")
    assert r.exit_code == 1 and ".spec_version: file has an array" in r.output
