"""``review`` in bounded memory (engine.stream): the input read, reviewed and written a batch of rows at a
time must give byte for byte the folder the whole-batch review gives — whatever the batch size, with
repeated case ids, acts fined twice and decisions shared by several rows wherever the batch edges fall."""
import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from engine import stream as S
from engine.io.readers import ParquetBatches, read_table
from engine.review import References, open_outputs, read_inputs, review_records, write_review

from conftest import BASE, ROOT

REPORTS = ("cases.jsonl", "findings.jsonl", "rejected.csv", "summary.json")
AS_OF = dt.date(2024, 12, 31)


def _row(case_id, **changes):
    return {**BASE, "case_id": case_id, **changes}


def _write(rows, path):
    """Rows as a file: Parquet with every column as text (nulls kept), or CSV."""
    frame = pd.DataFrame(rows).astype(object)
    frame = frame.where(frame.notna(), None)
    if path.suffix == ".parquet":
        table = pa.table({c: pa.array([None if v is None else str(v) for v in frame[c]], type=pa.string())
                          for c in frame.columns})
        pq.write_table(table, path, row_group_size=max(1, len(rows) // 3))
    else:
        frame.to_csv(path, index=False)
    return path


def _whole(path, out, ruleset, calendar):
    ev = review_records(read_inputs([path]), ruleset, AS_OF, calendar, None, References())
    return write_review(ev, out)


def _streamed(path, out, ruleset, calendar, rows, threads=None):
    with open_outputs(out) as outs:
        return S.review_source(S.open_source([path]), ruleset, AS_OF, calendar, None, References(), threads,
                               outs, None, S.parse_memory("2GiB"), batch_rows=rows)


def _same_folders(a, b):
    for name in REPORTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@st.composite
def batches(draw):
    """Rows that collide on purpose: few case ids, parties, acts, dates, fines and decision numbers."""
    n = draw(st.integers(min_value=2, max_value=30))
    return [_row(
        draw(st.sampled_from(["K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8", "K9", None])),
        party_id=draw(st.sampled_from(["P1", "P2", "P3", None])),
        act_id=draw(st.sampled_from([None, None, "ACT-1", "ACT-2"])),
        violation_date=draw(st.sampled_from(["2024-03-01", "2024-03-02", "2024年3月1日", "bad"])),
        decision_date=draw(st.sampled_from(["2024-04-20", "2024-04-22", "2024-05-10"])),
        party_type=draw(st.sampled_from(["organization", "个人", "x"])),
        violation_code=draw(st.sampled_from(["FSL-124-1", "FSL-124-1", "RTSL-90", "NOPE"])),
        fine=draw(st.sampled_from([0, 50000, 75000, "abc", None, "-0.0"])),
        department=draw(st.sampled_from(["甲局", "乙局", None])),
        decision_no=draw(st.sampled_from([None, None, None, None, "D-1", "D-2"])),
    ) for _ in range(n)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(rows=batches(), size=st.integers(min_value=1, max_value=12), suffix=st.sampled_from([".parquet", ".csv"]),
       threads=st.sampled_from([None, 1, 3]))
def test_any_batch_size_gives_the_same_folder(ruleset, calendar, tmp_path_factory, rows, size, suffix, threads):
    tmp = tmp_path_factory.mktemp("stream")
    path = _write(rows, tmp / f"in{suffix}")
    whole = _whole(path, tmp / "whole", ruleset, calendar)
    streamed = _streamed(path, tmp / "streamed", ruleset, calendar, size, threads)
    if size >= len(rows):
        assert streamed is None                      # fits in one batch: reviewed whole
        return
    assert streamed is not None
    assert streamed["run_id"] == whole["run_id"]
    _same_folders(tmp / "whole", tmp / "streamed")


def test_double_fines_and_repeated_ids_across_batch_edges(ruleset, calendar, tmp_path):
    """Parquet rows are record numbers.  Case A (row 1) and B (row 10) fine one act, A decided later: A
    is the double fine.  Case id D on rows 3 and 12 is rejected on both, naming both rows.  Decision N-1
    on rows 5–8 is one decision: no batch edge falls inside it.  Batches of 2 rows put every pair in
    different batches."""
    others = [_row(f"F{i}", party_id=f"P-OTHER-{i}") for i in range(8)]
    rows = [_row("A", decision_date="2024-05-10", publicized_date="2024-05-15"), others[0],
            _row("D", party_id="P-OTHER-D"), others[1],
            *[_row(f"N{i}", party_id=f"P-N{i}", decision_no="N-1") for i in range(4)],
            others[2], _row("B", decision_date="2024-04-20", fine=50000), others[3], _row("D"), others[4]]
    path = _write(rows, tmp_path / "in.parquet")
    _whole(path, tmp_path / "whole", ruleset, calendar)
    assert _streamed(path, tmp_path / "two", ruleset, calendar, 2) is not None
    _same_folders(tmp_path / "whole", tmp_path / "two")
    findings = [json.loads(x) for x in (tmp_path / "two" / "findings.jsonl").read_text("utf-8").splitlines()]
    assert [(f["case_id"], f["row"]) for f in findings if f["code"] == "penalty.double_fine"] == [("A", 1)]
    rejected = pd.read_csv(tmp_path / "two" / "rejected.csv", dtype=str)
    assert rejected["row"].tolist() == ["3", "12"]
    assert all("第 3, 12 行" in r for r in rejected["reason"])


def test_double_fines_where_some_rows_have_blank_facts(ruleset, calendar, tmp_path):
    """The sample penalties twelve times over, each copy its own case numbers and the same parties: every
    act is fined again in each copy.  Some sample rows leave facts blank (judged over alternatives), so a
    part of a batch with such a row and a part without one must still order a record's findings alike:
    the streamed folder, in parts of a few rows on two threads, is the whole batch's."""
    frame = pd.read_csv(ROOT / "cases/penalties.csv", dtype=str, keep_default_na=False)
    copies = [frame.assign(案件编号=frame["案件编号"] + (f"-{k}" if k else "")) for k in range(12)]
    frame = pd.concat(copies, ignore_index=True)
    path = tmp_path / "copies.parquet"
    pq.write_table(pa.table({c: pa.array([v or None for v in frame[c]], type=pa.string()) for c in frame.columns}),
                   path, row_group_size=100)
    _whole(path, tmp_path / "whole", ruleset, calendar)
    _streamed(path, tmp_path / "streamed", ruleset, calendar, 37, threads=2)
    _same_folders(tmp_path / "whole", tmp_path / "streamed")
    findings = [json.loads(x) for x in (tmp_path / "whole" / "findings.jsonl").read_text("utf-8").splitlines()]
    assert sum(f["code"] == "penalty.double_fine" for f in findings) >= 11 * 5


def test_batches_never_split_a_decision():
    open_ = S._open_decisions(S._spans(np.array([0, 0, 1, 1]), np.array([3, 6, 10, 11])), 20)
    batches, chunks = S.cut_edges(20, 4, open_, threads=None)
    assert batches == [0, 7, 12, 16, 20]           # 4 and 11 fall inside decisions 0 (rows 3–6), 1 (10–11)
    for a, b in zip(batches[:-1], batches[1:]):
        assert not any(open_[c] for c in (a, b))


def test_parquet_batches_read_as_the_whole_file(tmp_path):
    """Every slice is the frame the whole-file reader gives for its rows: native types, list and binary
    columns (JsonCells, text), record numbers, and a stored range index."""
    n = 50
    frame = pd.DataFrame({
        "案件编号": [f"C{i}" for i in range(n)],
        "罚款金额": np.arange(n, dtype=float) * 10.5,
        "处罚决定日期": pd.date_range("2024-01-01", periods=n),
        "已告知听证": [i % 2 == 0 for i in range(n)],
    })
    table = pa.Table.from_pandas(frame)     # keeps a RangeIndex in the pandas metadata
    table = table.append_column("执法人员", pa.array([["A", "B"] if i % 3 else None for i in range(n)],
                                                     type=pa.list_(pa.string())))
    table = table.append_column("备注", pa.array([f"n{i}".encode() for i in range(n)], type=pa.binary()))
    path = tmp_path / "in.parquet"
    pq.write_table(table, path, row_group_size=16)
    whole = read_table(path)
    pb = ParquetBatches(path)
    assert pb.streamable
    edges = [0, 1, 15, 16, 17, 40, 50]
    got = pd.concat(list(pb.slices(edges)), ignore_index=True)
    pd.testing.assert_frame_equal(got.drop(columns="__source__"), whole.drop(columns="__source__"))
    assert [str(x) for x in got["执法人员"]] == [str(x) for x in whole["执法人员"]]
    picked = pb.take(np.array([0, 16, 49]))
    pd.testing.assert_frame_equal(picked.drop(columns="__source__"),
                                  whole.iloc[[0, 16, 49]].reset_index(drop=True).drop(columns="__source__"))
    named = tmp_path / "named.parquet"
    pq.write_table(pa.Table.from_pandas(frame.set_index("案件编号")), named)
    assert not ParquetBatches(named).streamable          # read whole: its index becomes a column


def test_mixed_kinds_are_reviewed_whole(ruleset, calendar, tmp_path):
    rows = [_row(f"C{i}") for i in range(6)]
    rows[3]["record_kind"] = "approval"
    path = _write(rows, tmp_path / "in.parquet")
    assert _streamed(path, tmp_path / "s", ruleset, calendar, 2) is None


def _cli(tmp_path, name, path, *extra):
    out = tmp_path / name
    res = CliRunner().invoke(main, ["review", str(path), "--out", str(out), "--as-of", "2024-12-31", *extra])
    assert res.exit_code == 0, res.output
    return out, res


def test_cli_forced_tiny_batches_give_the_whole_folder(tmp_path):
    """The sample records repeated to 270 rows (so case ids repeat across every batch, acts are fined
    many times), as Parquet: batches of 31 rows on 2 threads against the whole-batch review; the
    workbook and the HTML report read the streamed folder."""
    sample = read_table(ROOT / "cases" / "penalties.csv").drop(columns=["__row__", "__source__"])
    frame = pd.concat([sample] * 10, ignore_index=True)
    frame.loc[frame.index % 3 == 0, "案件编号"] = [f"U{i}" for i in range(len(frame.index[frame.index % 3 == 0]))]
    path = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=50)
    whole, _ = _cli(tmp_path, "whole", path)
    tiny, res = _cli(tmp_path, "tiny", path, "--batch-rows", "31", "--threads", "2", "--excel",
                     str(tmp_path / "x.xlsx"), "--report", str(tmp_path / "r.html"), "--timings")
    assert "keys" in res.output                  # the streamed path ran (--timings names its phases)
    _same_folders(whole, tiny)
    assert (tmp_path / "x.xlsx").stat().st_size > 0 and (tmp_path / "r.html").stat().st_size > 0
    csv_path = tmp_path / "in.csv"
    frame.to_csv(csv_path, index=False)
    whole_csv, _ = _cli(tmp_path, "whole_csv", csv_path)
    env = CliRunner().invoke(main, ["review", str(csv_path), "--out", str(tmp_path / "env"), "--as-of",
                                    "2024-12-31", "--timings"], env={"ZHUNSHENG_REVIEW_BATCH_ROWS": "40"})
    assert env.exit_code == 0 and "keys" in env.output, env.output
    _same_folders(whole_csv, tmp_path / "env")


@pytest.mark.parametrize("value", ["lots", "2 parsecs", "-1GiB", "10MiB"])
def test_a_bad_memory_budget_is_refused(tmp_path, value):
    res = CliRunner().invoke(main, ["review", str(ROOT / "cases" / "penalties.csv"), "--out",
                                    str(tmp_path / "o"), "--memory", value])
    assert res.exit_code == 2
    assert "--memory" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()


def test_memory_sizes():
    assert S.parse_memory("2GiB") == 2 << 30
    assert S.parse_memory("1.5G") == 1_500_000_000
    assert S.parse_memory(" 800 mib ") == 800 << 20
    assert S.batch_rows_for(2 << 30, 10_000_000) < S.batch_rows_for(2 << 30, 0)
    assert S.batch_rows_for(S.parse_memory("800MiB"), 10 ** 9) == S.MIN_BATCH_ROWS


def test_a_budget_too_small_for_the_key_index_warns_and_keeps_batches_workable(capsys):
    """30M records under 2 GiB: the key index (64 B a record) leaves no room for batches; the review
    says so, in Chinese first, names a budget that would do (0.5 GiB base + 64 B × 30M = 1.79 GiB index
    + 3,400 B × 50,000 = 0.16 GiB of batch = 2.45 GiB, rounded up to 2.5) and reviews 50,000 rows a batch."""
    assert S._budgeted_rows(2 << 30, 30_000_000) == S.SMALL_BATCH_ROWS
    err = capsys.readouterr().err
    assert err.index("内存预算") < err.index("memory budget") and "--memory 2.5GiB" in err
    assert S._budgeted_rows(2 << 30, 10_000_000) == S.batch_rows_for(2 << 30, 10_000_000) > S.SMALL_BATCH_ROWS
    assert capsys.readouterr().err == ""
