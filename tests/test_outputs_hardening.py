"""Review output folders as one provable set, spreadsheet cells that cannot run, exit codes.

Kill and concurrency tests run the real command in real processes.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parent.parent
ZS = [sys.executable, "-c", "import cli; cli.entry()"]
SAMPLE = ROOT / "cases" / "penalties.csv"


def zs(*args, **kw):
    return subprocess.run([*ZS, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=300, **kw)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    """300,000 generated penalty records: a review that takes seconds, long enough to kill mid-write."""
    sys.path.insert(0, str(ROOT / "bench"))
    from gen_penalties import generate
    path = tmp_path_factory.mktemp("big") / "big.parquet"
    generate(300_000).to_parquet(path)
    return path


def _verified(folder):
    from engine.io.outset import verify_folder
    return verify_folder(folder, required=("cases.jsonl", "findings.jsonl"))


def _lines(path):
    return path.read_bytes().count(b"\n")


# -- one set ---------------------------------------------------------------------------------
def test_summary_seals_every_output_with_its_digest_and_line_count(tmp_path):
    import hashlib
    out = tmp_path / "o"
    r = zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31")
    assert r.returncode == 0, r.stderr
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(s["files"]) == {"cases.jsonl", "findings.jsonl", "rejected.csv"}
    for name, entry in s["files"].items():
        data = (out / name).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "lines": data.count(b"\n")}
    listing = "\n".join(f"{n}\t{s['files'][n]['sha256']}" for n in sorted(s["files"]))
    assert s["run_id"] == hashlib.sha256(listing.encode()).hexdigest()[:32]


def test_killed_review_never_leaves_a_folder_that_passes_as_one_run(tmp_path, big_csv):
    """A first run completes; a second run of other input into the same folder is killed at varying
    moments.  Afterwards the folder is either the whole first run, the whole second run, or refused."""
    out = tmp_path / "o"
    assert zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31").returncode == 0
    outcomes, killed_running = set(), 0
    for delay in (0.6, 1.2, 1.8, 2.4, 3.0, 3.6, 4.2):
        p = subprocess.Popen([*ZS, "review", str(big_csv), "--out", str(out), "--as-of", "2024-12-31"],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        killed_running += p.poll() is None
        p.send_signal(signal.SIGKILL)
        p.wait()
        from engine.errors import InputError
        try:
            s = _verified(out)
        except InputError as e:
            outcomes.add("refused")
            assert "summary.json" in str(e) or "mixes" in str(e)
            r = zs("accountability", out, "--roster", ROOT / "cases/accountability/roster.csv",
                   "--as-of", "2024-12-31", "--out", tmp_path / "acc")
            assert r.returncode == 2 and "Traceback" not in r.stderr
            continue
        n = _lines(out / "cases.jsonl")
        assert n == s["input_rows"] and n in (27, 300_000)
        outcomes.add(n)
    assert killed_running >= 3, "the kills must land while the review runs for this test to mean anything"
    assert outcomes
    # the last state is always repairable by running again
    assert zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31").returncode == 0
    assert _verified(out)["input_rows"] == 27
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_second_review_into_a_folder_in_use_is_refused(tmp_path):
    """The first run holds the folder while it waits for its input (a named pipe), so the two runs
    certainly overlap; the second is refused at once, and the first completes as one set."""
    out = tmp_path / "o"
    fifo = tmp_path / "slow.csv"
    os.mkfifo(fifo)
    first = subprocess.Popen([*ZS, "review", str(fifo), "--out", str(out), "--as-of", "2024-12-31"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (out / ".zhunsheng.lock").exists() and time.time() < deadline:
            time.sleep(0.05)          # the lock file appears once the first run holds the lock
        second = zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31")
        assert second.returncode == 2, second.stdout + second.stderr
        assert "另一次运行" in second.stderr and "in use by another run" in second.stderr
    finally:
        try:                  # non-blocking: if the first run has died there is no reader to wait for
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            fd = None
        if fd is not None:
            os.set_blocking(fd, True)
            with os.fdopen(fd, "wb") as fh:
                fh.write(SAMPLE.read_bytes())
    first.communicate(timeout=300)
    assert first.returncode == 0, first.stderr
    assert _verified(out)["input_rows"] == 27


def test_stale_temporary_files_of_killed_runs_are_removed(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".cases.jsonl.k2j3.tmp").write_text("half a run")
    (out / ".findings.jsonl.staged.tmp").write_text("half a run")
    assert zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31").returncode == 0
    assert sorted(p.name for p in out.iterdir()) == [".zhunsheng.lock", "cases.jsonl", "findings.jsonl",
                                                      "rejected.csv", "summary.json"]


def test_accountability_refuses_a_mixed_or_unfinished_review_folder(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert zs("review", SAMPLE, "--out", a, "--as-of", "2024-12-31").returncode == 0
    assert zs("review", ROOT / "cases/approvals.csv", "--out", b, "--as-of", "2024-12-31").returncode == 0
    roster = ROOT / "cases/accountability/roster.csv"
    ok = zs("accountability", a, "--roster", roster, "--as-of", "2024-12-31", "--out", tmp_path / "acc0")
    assert ok.returncode == 0, ok.stderr
    shutil.copy(b / "findings.jsonl", a / "findings.jsonl")
    mixed = zs("accountability", a, "--roster", roster, "--as-of", "2024-12-31", "--out", tmp_path / "acc1")
    assert mixed.returncode == 2 and "findings.jsonl" in mixed.stderr and "mixes outputs" in mixed.stderr
    (b / "summary.json").unlink()
    unfinished = zs("accountability", b, "--roster", roster, "--as-of", "2024-12-31", "--out", tmp_path / "acc2")
    assert unfinished.returncode == 2 and "did not finish" in unfinished.stderr


def test_outputs_of_an_earlier_run_that_this_run_does_not_write_are_removed(tmp_path):
    out = tmp_path / "o"
    assert zs("review", ROOT / "cases/approvals.csv", "--out", out, "--as-of", "2024-12-31",
              "--catalog", ROOT / "cases/catalog.csv").returncode == 0
    assert (out / "catalog_rejected.csv").exists()
    assert zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31").returncode == 0
    assert not (out / "catalog_rejected.csv").exists()
    _verified(out)


# -- output paths checked before any work ----------------------------------------------------
def test_output_under_a_file_is_refused_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = zs("review", SAMPLE, "--out", blocker / "sub", "--as-of", "2024-12-31")
    assert r.returncode == 2 and "--out" in r.stderr and "Traceback" not in r.stderr


def test_unwritable_excel_is_refused_before_the_reports_are_written(tmp_path):
    out = tmp_path / "o"
    (tmp_path / "adir.xlsx").mkdir()
    r = zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31", "--excel", tmp_path / "adir.xlsx")
    assert r.returncode == 2 and "--excel" in r.stderr
    assert not (out / "cases.jsonl").exists() and not (out / "summary.json").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31", "--excel", blocker / "x.xlsx")
    assert r.returncode == 2 and "--excel" in r.stderr
    assert not (out / "cases.jsonl").exists()


def test_read_only_or_immutable_output_folder_is_refused(tmp_path):
    out = tmp_path / "frozen"
    out.mkdir()
    if subprocess.run(["chattr", "+i", str(out)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available on this file system")
    try:
        r = zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31")
        assert r.returncode == 2 and "无法写入输出文件夹" in r.stderr and "Traceback" not in r.stderr
    finally:
        subprocess.run(["chattr", "-i", str(out)])


# -- cells that cannot run -------------------------------------------------------------------
HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
CASE_IDS = ["=A1", "+A2", "-A3", "@A4", "=HYPERLINK(\"http://x\")", "C6"]


def _hostile_input(tmp_path):
    rows = []
    for i, text in enumerate(HOSTILE):
        rows.append({"case_id": CASE_IDS[i], "department": text, "violation_code": "FSL-124-1",
                     "party_type": "organization", "officers": "A;B", "violation_date": "2024-03-01",
                     "decision_date": "2024-04-20", "goods_value": 8000, "fine": 300000 + i,
                     "sanctions": "confiscate_goods", "procedure": "ordinary", "hearing_notified": "true",
                     "publicized_date": "2024-04-25", "filed_date": "2024-03-06"})
    rows.append({"case_id": "=1+2", "department": "@x", "violation_code": "NO-SUCH"})   # rejected
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_input_text_never_becomes_a_formula_in_csv_or_excel(tmp_path):
    out = tmp_path / "o"
    r = zs("review", _hostile_input(tmp_path), "--out", out, "--as-of", "2024-12-31", "--excel", out / "r.xlsx")
    assert r.returncode == 0, r.stderr
    with open(out / "rejected.csv", encoding="utf-8-sig", newline="") as fh:
        rejected = list(csv.DictReader(fh))
    assert [row["case_id"] for row in rejected] == ["'=1+2"]
    wb = openpyxl.load_workbook(out / "r.xlsx")
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert "=A1" in texts and "+1+1" in texts and "@SUM(A1)" in texts
    cases = [json.loads(x) for x in (out / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [c["case_id"] for c in cases] == CASE_IDS + ["=1+2"]       # JSON keeps the exact value
    assert cases[1]["department"] == "+1+1"


def test_control_characters_do_not_break_the_workbook_or_leave_a_half_run(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("案件编号,执法部门,违法行为编码\nC1,市场\x07监管\x01局,FSL-124-1\n", encoding="utf-8")
    out = tmp_path / "o"
    r = zs("review", path, "--out", out, "--as-of", "2024-12-31", "--excel", tmp_path / "r.xlsx")
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "市场\\x07监管\\x01局" in values
    _verified(out)


# -- exit codes ------------------------------------------------------------------------------
def test_fail_on_sets_exit_code_1_only_when_asked(tmp_path):
    assert zs("review", SAMPLE, "--out", tmp_path / "a", "--as-of", "2024-12-31").returncode == 0
    assert zs("review", SAMPLE, "--out", tmp_path / "b", "--as-of", "2024-12-31",
              "--fail-on", "high").returncode == 1
    clean = tmp_path / "clean.csv"
    clean.write_text("案件编号,违法行为编码\nX1,NO-SUCH\n", encoding="utf-8")     # rejected, no findings
    assert zs("review", clean, "--out", tmp_path / "c", "--as-of", "2024-12-31",
              "--fail-on", "low").returncode == 0


def test_internal_error_is_one_line_exit_3_and_a_log_with_the_traceback(tmp_path):
    """A bug (here: a reader that raises an unexpected exception) must not show a bare traceback."""
    script = ("import sys, engine.review as r\n"
              "def broken(paths):\n    raise RuntimeError('simulated defect')\n"
              "r.read_inputs = broken\n"
              "import cli\nsys.argv = ['zhunsheng', 'review', sys.argv[1], '--out', sys.argv[2]]\ncli.entry()\n")
    env = {**os.environ, "ZHUNSHENG_LOG_DIR": str(tmp_path / "logs")}
    r = subprocess.run([sys.executable, "-c", script, str(SAMPLE), str(tmp_path / "o")], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 3
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "内部错误 (internal error): RuntimeError: simulated defect" in r.stderr
    logs = list((tmp_path / "logs").iterdir())
    assert len(logs) == 1 and str(logs[0]) in r.stderr
    assert "Traceback" in logs[0].read_text() and "simulated defect" in logs[0].read_text()


# -- check with the Chinese case-id header ---------------------------------------------------
RECORD = {"案件编号": "J7", "违法行为编码": "FSL-124-1", "当事人类型": "单位", "违法行为发生日期": "2024-03-01",
          "处罚决定日期": "2024-04-20", "货值金额": "8000", "罚款金额": "75000", "执法人员": "A;B"}


def test_check_json_with_chinese_case_id_header_is_read():
    r = CliRunner().invoke(main, ["check", "--json", json.dumps(RECORD, ensure_ascii=False)])
    assert r.exit_code in (0, 1), r.output
    assert json.loads(r.output)["case_id"] == "J7"


def test_check_file_with_chinese_case_id_header_is_read(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(",".join(RECORD) + "\n" + ",".join(RECORD.values()) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["check", "--file", str(path), "--output", "json"])
    assert r.exit_code in (0, 1), r.output
    assert json.loads(r.output)["case_id"] == "J7"


def test_check_json_object_cell_rejects_the_record_and_arrays_are_lists():
    bad = CliRunner().invoke(main, ["check", "--json", json.dumps({**RECORD, "当事人": {"x": 1}}, ensure_ascii=False)])
    assert bad.exit_code == 2 and "JSON" in json.loads(bad.output)["reason"]
    listed = {**RECORD, "执法人员": ["A", "B"], "sanctions": ["confiscate_goods"]}
    ok = CliRunner().invoke(main, ["check", "--json", json.dumps(listed, ensure_ascii=False)])
    out = json.loads(ok.output)
    assert out["status"] == "evaluated"
    assert "procedure.too_few_officers" not in out["codes"]
    assert "penalty.mandatory_sanction_missing" not in out["codes"]


def test_a_review_folder_being_read_cannot_be_rewritten_meanwhile(tmp_path):
    """A reader (as accountability reads) holds the folder's lock shared from another process: a review
    into that folder is refused, so what the reader verified is what it reads."""
    out = tmp_path / "o"
    assert zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31").returncode == 0
    reader = subprocess.Popen([sys.executable, "-c",
                               "import sys, time\nfrom engine.io.outset import reading\n"
                               "with reading(sys.argv[1], ('cases.jsonl',)):\n"
                               "    print('reading', flush=True)\n    time.sleep(60)\n", str(out)],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "reading"
        r = zs("review", ROOT / "cases/approvals.csv", "--out", out, "--as-of", "2024-12-31")
        assert r.returncode == 2 and "in use by another run" in r.stderr
    finally:
        reader.kill()
        reader.wait()
    assert _verified(out)["input_rows"] == 27


def test_formula_headers_are_escaped_in_csv(tmp_path):
    src = (ROOT / "cases/catalog.csv").read_text(encoding="utf-8-sig").splitlines()
    src[0] += ',=HYPERLINK("http://x")'
    src[1:] = [line + ",=2+2" for line in src[1:]]
    path = tmp_path / "cat.csv"
    path.write_text("\n".join(src) + "\n", encoding="utf-8")
    r = zs("catalog", "audit", path, "--out", tmp_path / "oc", "--as-of", "2024-12-31")
    assert r.returncode in (0, 1), r.stderr
    with open(tmp_path / "oc" / "retained.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][-1] == "'=HYPERLINK(\"http://x\")" and {row[-1] for row in rows[1:]} == {"'=2+2"}


def test_outputs_named_by_a_folder_or_the_excel_are_refused_before_work(tmp_path):
    out = tmp_path / "o"
    assert zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31").returncode == 0
    before = (out / "summary.json").read_bytes()
    (out / "catalog_rejected.csv").mkdir()
    r = zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31")
    assert r.returncode == 2 and "catalog_rejected.csv" in r.stderr
    (out / "catalog_rejected.csv").rmdir()
    for name in ("findings.jsonl", "summary.json"):
        r = zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31", "--excel", out / name)
        assert r.returncode == 2 and name in r.stderr
    assert (out / "summary.json").read_bytes() == before
    _verified(out)


def test_accountability_cannot_write_into_its_input_folder(tmp_path):
    out = tmp_path / "o"
    assert zs("review", SAMPLE, "--out", out, "--as-of", "2024-12-31").returncode == 0
    r = zs("accountability", out, "--roster", ROOT / "cases/accountability/roster.csv", "--as-of", "2024-12-31",
           "--out", out)
    assert r.returncode == 2 and "--out" in r.stderr
    _verified(out)


def test_parquet_with_a_named_index_keeps_the_column(tmp_path):
    import pandas as pd
    frame = pd.DataFrame([{**{k: v for k, v in RECORD.items()}, "案件编号": "P1"}]).set_index("案件编号")
    frame.to_parquet(tmp_path / "idx.parquet")
    r = zs("review", tmp_path / "idx.parquet", "--out", tmp_path / "o", "--as-of", "2024-12-31")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "o" / "cases.jsonl").read_text(encoding="utf-8"))["case_id"] == "P1"


def test_internal_error_log_is_private(tmp_path):
    script = ("import sys, engine.review as r\n"
              "def broken(paths):\n    raise RuntimeError('simulated defect')\n"
              "r.read_inputs = broken\n"
              "import cli\nsys.argv = ['zhunsheng', 'review', sys.argv[1], '--out', sys.argv[2]]\ncli.entry()\n")
    env = {k: v for k, v in os.environ.items() if k != "ZHUNSHENG_LOG_DIR"}
    env["TMPDIR"] = str(tmp_path)
    r = subprocess.run([sys.executable, "-c", script, str(SAMPLE), str(tmp_path / "o")], capture_output=True,
                       text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 3
    folder = tmp_path / f"zhunsheng-logs-{os.getuid()}"
    logs = list(folder.iterdir())
    assert len(logs) == 1 and str(logs[0]) in r.stderr
    assert folder.stat().st_mode & 0o777 == 0o700 and logs[0].stat().st_mode & 0o777 == 0o600


def test_amount_unit_reads_plain_numbers_in_wan_yuan(tmp_path):
    """货值 0.8万元 = 8,000 (< 10,000): 食品安全法 Art. 124 ¶1 range 50,000–100,000; fine 7.5万元 = 75,000 is
    inside it. Read in yuan instead, 7.5 yuan is far below the minimum."""
    path = tmp_path / "u.csv"
    path.write_text("案件编号,违法行为编码,当事人类型,违法行为发生日期,处罚决定日期,货值金额,罚款金额,执法人员\n"
                    "U1,FSL-124-1,单位,2024-03-01,2024-04-20,0.8,7.5,A;B\n", encoding="utf-8")
    for unit, out in (("万元", tmp_path / "w"), ("元", tmp_path / "y")):
        assert zs("review", path, "--out", out, "--as-of", "2024-12-31", "--amount-unit", unit).returncode == 0
    wan = [json.loads(x) for x in (tmp_path / "w" / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    yuan = [json.loads(x) for x in (tmp_path / "y" / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    assert "penalty.below_statutory_min" not in {f["code"] for f in wan}
    assert "penalty.below_statutory_min" in {f["code"] for f in yuan}
