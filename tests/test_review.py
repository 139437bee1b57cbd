"""Batch review end to end: readers, rejected rows, output contract, double fines."""
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from cli import main
from conftest import ROOT

SAMPLE = ROOT / "cases" / "penalties.csv"


def run_review(tmp_path, *files, extra=()):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["review", *map(str, files), "--out", str(out), "--as-of", "2024-12-31", *extra])
    assert res.exit_code == 0, res.output
    cases = [json.loads(l) for l in (out / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    findings = [json.loads(l) for l in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype=str)
    return cases, findings, summary, rejected


def test_sample_contract(tmp_path):
    cases, findings, summary, rejected = run_review(tmp_path, SAMPLE)
    raw_rows = len(pd.read_csv(SAMPLE, dtype=str))
    assert len(cases) == raw_rows == summary["input_rows"]
    assert summary["evaluated"] + summary["rejected"] == summary["input_rows"]
    assert len(rejected) == summary["rejected"] == sum(c["status"] == "rejected" for c in cases)
    for c in cases:
        assert set(c) >= {"case_id", "status", "provision", "provision_version", "tiers", "lawful_fine_min",
                          "lawful_fine_max", "codes", "department", "officers", "event_date"}
        assert c["codes"] == sorted(c["codes"])
    for f in findings:
        assert set(f) >= {"case_id", "code", "category", "severity", "message_zh", "message_en", "citations",
                          "facts", "expected", "actual"}
        assert f["category"] in {"overreach", "inaction", "leniency", "procedure"}
        assert f["citations"] and all("law" in c and "article" in c for c in f["citations"])
    assert sum(summary["by_code"].values()) == len(findings)
    # the codes of each case are exactly its findings' codes
    per_case = {}
    for f in findings:
        per_case.setdefault(f["case_id"], set()).add(f["code"])
    for c in cases:
        if c["status"] == "evaluated":
            assert set(c["codes"]) == per_case.get(c["case_id"], set())


def test_sample_known_findings(tmp_path):
    cases, findings, summary, rejected = run_review(tmp_path, SAMPLE)
    by_id = {c["case_id"]: c for c in cases if c["status"] == "evaluated"}
    # 货值30,000 × 20 = 600,000 is the maximum; 650,000 exceeds it (食品安全法 Art. 124)
    assert by_id["示市监罚〔2024〕3号"]["codes"] == ["penalty.above_statutory_max"]
    f = [x for x in findings if x["case_id"] == "示市监罚〔2024〕3号"][0]
    assert f["expected"]["statutory_max"] == 600000 and f["actual"]["fine"] == 650000
    assert f["facts"]["goods_value"] == 30000
    assert {"law": "中华人民共和国食品安全法", "article": 124, "paragraph": 1} in f["citations"]
    # 2021-07 accident decided 2021-10: the 2014 text applies (从旧兼从轻)
    assert by_id["示应急罚〔2021〕1号"]["provision_version"] == "2014-12-01"
    assert by_id["示市监罚〔2024〕18号"]["codes"] == ["penalty.double_fine"]
    reasons = dict(zip(rejected["case_id"], rejected["reason"]))
    assert "未知编码 'FSL-999'" in reasons["示市监罚〔2024〕19号"]
    assert set(rejected["row"].astype(int)) == {26, 27, 28}


def test_gbk_file_with_chinese_headers(tmp_path):
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(SAMPLE.read_text(encoding="utf-8").encode("gb18030"))
    utf = run_review(tmp_path / "a", SAMPLE)
    other = run_review(tmp_path / "b", gbk)
    assert [c["codes"] for c in utf[0]] == [c["codes"] for c in other[0]]


def test_utf8_bom_excel_parquet_jsonl_agree(tmp_path):
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + SAMPLE.read_bytes())
    xlsx = tmp_path / "x.xlsx"
    frame.to_excel(xlsx, index=False)
    pq = tmp_path / "x.parquet"
    frame.replace("", None).to_parquet(pq)
    jl = tmp_path / "x.jsonl"
    jl.write_text("\n".join(json.dumps({k: v for k, v in r.items() if v != ""}, ensure_ascii=False)
                            for r in frame.to_dict("records")), encoding="utf-8")
    base = [c["codes"] for c in run_review(tmp_path / "csv", SAMPLE)[0]]
    for f in (bom, xlsx, pq, jl):
        got = [c["codes"] for c in run_review(tmp_path / f.suffix[1:], f)[0]]
        assert got == base, f


def test_two_files_row_numbers_and_file_names(tmp_path):
    cases, findings, summary, rejected = run_review(tmp_path, SAMPLE, SAMPLE)
    assert summary["input_rows"] == 2 * len(pd.read_csv(SAMPLE, dtype=str))
    # every case id now appears twice: all rows are rejected as duplicates, none silently merged
    assert summary["rejected"] == summary["input_rows"]
    assert set(rejected["file"]) == {str(SAMPLE)}


def test_excel_report_has_chinese_headers(tmp_path):
    x = tmp_path / "report.xlsx"
    run_review(tmp_path, SAMPLE, extra=["--excel", str(x)])
    sheets = pd.read_excel(x, sheet_name=None)
    assert {"问题清单", "部门汇总", "问题分类"} <= set(sheets)
    assert "问题说明" in sheets["问题清单"].columns and "法律依据" in sheets["问题清单"].columns
    assert "示例区市场监督管理局" in set(sheets["部门汇总"]["执法部门"])


def test_unknown_columns_are_carried_through(review, base_record):
    from engine.results import case_table
    ev = review([{**base_record, "case_id": "X1", "备注": "hello"}])
    assert case_table(ev).column("extra").to_pylist()[0] == {"备注": "hello"}


def test_double_fine_by_act_id_and_by_party(review, base_record):
    recs = [
        {**base_record, "case_id": "A", "act_id": "ACT1", "decision_date": "2024-04-20"},
        {**base_record, "case_id": "B", "act_id": "ACT1", "decision_date": "2024-04-21", "publicized_date": "2024-04-26"},
        {**base_record, "case_id": "C", "party_id": "P9", "decision_date": "2024-04-20"},
        {**base_record, "case_id": "D", "party_id": "P9", "decision_date": "2024-04-22"},
        {**base_record, "case_id": "E", "party_id": "P9", "violation_date": "2024-03-02", "decision_date": "2024-04-22"},
    ]
    ev = review(recs)
    codes = ev.findings.codes_per_row(len(recs))
    assert ["penalty.double_fine" in c for c in codes] == [False, True, False, True, False]


def test_bad_rows_are_rejected_with_reasons_and_never_dropped(review, base_record):
    recs = [
        {**base_record, "case_id": "ok"},
        {**base_record, "case_id": "bad-date", "decision_date": "2024-13-01"},
        {**base_record, "case_id": "neg", "fine": -5},
        {**base_record, "case_id": "party", "party_type": "alien"},
        {**base_record, "case_id": "code", "violation_code": "NOPE"},
        {**base_record, "case_id": "order", "decision_date": "2024-02-01", "filed_date": "2024-01-01",
         "discovered_date": "2024-01-01", "violation_date": "2024-03-01"},
        {**base_record, "case_id": None},
    ]
    ev = review(recs)
    rej = ev.records.rejections
    assert ev.evaluated.tolist() == [True, False, False, False, False, False, False]
    assert "not a calendar date: '2024-13-01'" in rej.text(1)
    assert "negative amount" in rej.text(2)
    assert "不认识的值 (unknown value) 'alien'" in rej.text(3)
    assert "未知编码 'NOPE'" in rej.text(4)
    assert "before violation_date" in rej.text(5)
    assert rej.text(6) == "案件编号 (case_id)：缺少 (is missing)"


def test_missing_case_id_column_is_a_clear_error(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("foo,bar\n1,2\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["review", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "case_id (案件编号)" in res.output


def test_unreadable_file_is_a_clear_error(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"\x81\x30\xff\xfe\x00bad")
    res = CliRunner().invoke(main, ["review", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "x.csv" in res.output


def test_report_writers_at_once_report_a_failing_writer(tmp_path):
    """The cases writer runs on a thread: its failure must reach the caller, after the other writer ends."""
    from engine.review import _at_once

    def boom():
        raise ValueError("disk on fire")

    done = []
    with pytest.raises(ValueError, match="disk on fire"):
        _at_once(boom, lambda: done.append(True))
    assert done == [True]


def test_block_writer_goes_on_through_the_page_cache_when_direct_writes_are_refused(tmp_path, monkeypatch):
    """Some file systems accept O_DIRECT at open and refuse the write (EINVAL); the report must still be
    written whole, by the same writer, through the page cache."""
    import errno
    import fcntl
    import os as _os

    from engine.io import direct
    if not getattr(_os, "O_DIRECT", 0):
        pytest.skip("no O_DIRECT on this platform")
    real = _os.write

    def refusing(fd, data):
        if fcntl.fcntl(fd, fcntl.F_GETFL) & _os.O_DIRECT:
            raise OSError(errno.EINVAL, "direct I/O refused")
        return real(fd, data)
    monkeypatch.setattr(_os, "write", refusing)
    chunks = [b"a" * (20 << 20), b"b" * 10_000, b"c" * 3]
    with direct.BlockWriter(tmp_path / "r.jsonl") as w:
        for c in chunks:
            w.write(c)
    assert (tmp_path / "r.jsonl").read_bytes() == b"".join(chunks)


def test_unknown_columns_blank_then_filled_are_carried_through(tmp_path):
    """An unknown column whose first cells are blank still reaches cases.jsonl, blank as null."""
    import csv as _csv
    rows = list(_csv.DictReader(open(SAMPLE, encoding="utf-8-sig")))[:3]
    for i, r in enumerate(rows):
        r["自定义列"] = "" if i < 2 else "hello"
    path = tmp_path / "x.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = _csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    res = CliRunner().invoke(main, ["review", str(path), "--out", str(tmp_path / "o"), "--as-of", "2024-12-31"])
    assert res.exit_code in (0, 1), res.output
    lines = [json.loads(line) for line in (tmp_path / "o" / "cases.jsonl").read_text("utf-8").splitlines()]
    assert [r["extra"]["自定义列"] for r in lines] == [None, None, "hello"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([0, 1, 4095, 4096, 4097, 8 << 20, (8 << 20) + 1, 123457]), max_size=5),
       st.booleans())
def test_block_writer_writes_exactly_the_bytes(tmp_path_factory, sizes, direct_io):
    """Reports are written past the page cache in aligned blocks (or, without O_DIRECT, through it);
    the file holds exactly the bytes given, whatever their sizes against the block and the stage."""
    import os as _os

    from engine.io import direct
    path = tmp_path_factory.mktemp("bw") / "out.jsonl"
    chunks = [bytes([65 + i % 26]) * n for i, n in enumerate(sizes)]
    saved = getattr(_os, "O_DIRECT", None)
    if not direct_io and saved is not None:
        del _os.O_DIRECT                      # a platform without direct I/O
    try:
        with direct.BlockWriter(path) as w:
            for c in chunks:
                w.write(c)
    finally:
        if saved is not None:
            _os.O_DIRECT = saved
    assert path.read_bytes() == b"".join(chunks)


def test_deferred_messages_belong_to_their_own_findings(review, base_record):
    """Messages are built late, per batch: each must still name its own provision and amounts."""
    from engine.results import finding_rows
    recs = [
        {**base_record, "case_id": "F", "goods_value": 8000, "fine": 120000},
        {**base_record, "case_id": "P", "violation_code": "PVR-7", "illegal_gain": 1000, "confiscated_gain": 1000,
         "fine": 6000, "sanctions": ""},
        {**base_record, "case_id": "G", "goods_value": 30000, "fine": 700000},
    ]
    rows = {f["case_id"]: f for f in finding_rows(review(recs)) if f["code"] == "penalty.above_statutory_max"}
    assert "FSL-124-1" in rows["F"]["message_zh"] and "120,000元" in rows["F"]["message_zh"]
    assert "PVR-7" in rows["P"]["message_zh"] and "6,000元" in rows["P"]["message_zh"]
    assert "600,000元" in rows["G"]["message_zh"] and "700,000元" in rows["G"]["message_zh"]


def test_dictionary_nulls_never_hold_an_index_outside_the_dictionary():
    """Arrow may read the index under a null (dictionary unification does); with -1 there, joining a
    chunked review's case tables crashed the process now and then under the jemalloc pool that
    `review` uses. Nulls hold index 0."""
    import numpy as np
    import pyarrow as pa

    from engine.io.arrowcols import coded
    a = coded(np.array([-1, 1, -1]), ["x", "y"])
    assert a.to_pylist() == [None, "y", None]
    assert np.frombuffer(a.indices.buffers()[1], dtype=np.int32)[:3].tolist() == [0, 1, 0]
    joined = pa.chunked_array([a, coded(np.array([0, -1]), ["z"])]).unify_dictionaries()
    assert [v for c in joined.chunks for v in c.to_pylist()] == [None, "y", None, "z", None]
