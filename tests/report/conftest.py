"""Review output folders for the report tests, each made by the real ``zhunsheng review`` command.

- ``sample``: the bundled sample records of every kind, with the catalogue and the power list;
- ``hostile``: penalty rows whose text would run as a formula or as HTML, and one without a department;
- ``extended``: the sample folder with the fields a newer review adds (a finding's certainty and
  depends_on, a case's possible_codes, decision_no ...), re-sealed as one run the way review seals it.
"""
import csv
import io
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "cases"
SAMPLE_INPUTS = ["penalties.csv", "approvals.csv", "disclosures.csv", "complaints.csv"]
FORMULA_CASE = "=HYPERLINK(\"http://example.invalid\",\"点我\")"
HTML_DEPARTMENT = "<img src=x onerror=alert(1)>监管局"


def run_review(out: Path, files, *extra) -> Path:
    args = ["review", *map(str, files), "--out", str(out), "--as-of", "2025-01-01", *extra]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("review") / "sample"
    return run_review(out, [CASES / n for n in SAMPLE_INPUTS], "--catalog", CASES / "catalog.csv",
                      "--powers", CASES / "powers.csv")


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    text = (CASES / "penalties.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:5]               # cases 2, 3 and 4 have findings
    body[1][0] = FORMULA_CASE                    # 案件编号 that a spreadsheet would run
    body[2][1] = HTML_DEPARTMENT                 # 执法部门 that a browser would run
    body[3][1] = ""                              # no department
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *body])
    src = base / "hostile.csv"
    src.write_text(buf.getvalue(), encoding="utf-8")
    return run_review(base / "out", [src])


def reseal(folder: Path) -> None:
    """Seal a folder's files as one run again (engine.io.outset), after a test added fields to them."""
    from engine.io.outset import file_digest, run_id_of
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    files = {name: file_digest(folder / name) for name in summary["files"]}
    summary.update(files=files, run_id=run_id_of(files))
    (folder / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="session")
def extended(sample, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("extended") / "out"
    shutil.copytree(sample, out)
    findings = [json.loads(line) for line in (out / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    for i, f in enumerate(findings):
        f["certainty"] = "possible" if i % 3 == 0 else "definite"
        f["depends_on"] = ["goods_value", "harm"] if f["certainty"] == "possible" else []
    (out / "findings.jsonl").write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in findings),
                                        encoding="utf-8")
    cases = [json.loads(line) for line in (out / "cases.jsonl").read_text(encoding="utf-8").splitlines()]
    for i, c in enumerate(cases):
        c["possible_codes"] = ["penalty.outside_tier"] if i == 0 else []
        c["undetermined"] = ["harm"] if i == 0 else []
        c["decision_no"] = f"示决字〔2024〕{i + 1}号"
        c["lawful_fine_max_unbounded"] = False
    (out / "cases.jsonl").write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in cases),
                                     encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))    # counted apart, as review does
    for certainty, total, by_code, with_cases in (("definite", "findings", "by_code", "cases_with_findings"),
                                                  ("possible", "possible_findings", "possible_by_code",
                                                   "cases_with_possible_findings")):
        mine = [f for f in findings if f["certainty"] == certainty]
        summary[total] = len(mine)
        summary[by_code] = {c: sum(f["code"] == c for f in mine) for c in sorted({f["code"] for f in mine})}
        summary[with_cases] = len({f["case_id"] for f in mine})
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    reseal(out)
    return out


OPTIONAL_FINDING = ("certainty", "depends_on")
OPTIONAL_CASE = ("possible_codes", "undetermined", "decision_no", "lawful_fine_max_unbounded")


@pytest.fixture(scope="session")
def legacy(sample, tmp_path_factory) -> Path:
    """The sample folder as a review before those fields wrote it."""
    out = tmp_path_factory.mktemp("legacy") / "out"
    shutil.copytree(sample, out)
    for name, keys in (("findings.jsonl", OPTIONAL_FINDING), ("cases.jsonl", OPTIONAL_CASE)):
        rows = [json.loads(line) for line in (out / name).read_text(encoding="utf-8").splitlines()]
        (out / name).write_text("".join(json.dumps({k: v for k, v in r.items() if k not in keys},
                                                   ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for key in ("possible_findings", "possible_by_code", "cases_with_possible_findings"):
        summary.pop(key, None)
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    reseal(out)
    return out


def findings_of(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "findings.jsonl").read_text(encoding="utf-8").splitlines()]


def cases_of(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()]


def summary_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


ARTIFACTS = Path(os.environ.get("ZHUNSHENG_TEST_ARTIFACTS", ROOT / "out" / "test-artifacts"))


@pytest.fixture(scope="session")
def accountability_run(sample, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("accountability") / "out"
    res = CliRunner().invoke(main, ["accountability", str(sample), "--roster", str(CASES / "accountability" / "roster.csv"),
                                    "--exemptions", str(CASES / "accountability" / "exemptions.csv"),
                                    "--as-of", "2024-12-31", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out


from conftest import need_program  # noqa: E402,F401  (tests import it from here)


DRAW = CASES / "draw"
HTML_NAME = "<img src=x onerror=alert(1)>"


def draw_folder(base: Path, entities: Path, *extra) -> Path:
    """A real draw: ``draw prepare`` then ``draw run`` on the bundled plan, into ``base/out``."""
    db = f"sqlite:///{base / 'ledger.sqlite'}"
    regs = ["--entities", str(entities), "--inspectors", str(DRAW / "inspectors.csv"),
            "--conflicts", str(DRAW / "conflicts.csv"), "--db", db]
    res = CliRunner().invoke(main, ["draw", "prepare", str(DRAW / "plan.yaml"), *regs])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["draw", "run", str(DRAW / "plan.yaml"), *regs, "--seed", "0.3.5.1.6.2.4.8",
                                    "--seed-note", "2025-03-07 局务会，纪检组长掷十面骰 8 次",
                                    "--out", str(base / "out"), *extra])
    assert res.exit_code == 0, res.output
    return base / "out"


@pytest.fixture(scope="session")
def draw_run(tmp_path_factory) -> Path:
    """The bundled sample draw with its page (``draw run --report``) and the results findings of
    ``draw results --out DIR/results.jsonl``."""
    base = tmp_path_factory.mktemp("draw")
    out = draw_folder(base, DRAW / "entities.csv", "--report", str(base / "draw.html"))
    res = CliRunner().invoke(main, ["draw", "results", str(DRAW / "results.csv"), "--as-of", "2025-06-30",
                                    "--no-import", "--out", str(out / "results.jsonl"),
                                    "--db", f"sqlite:///{base / 'ledger.sqlite'}"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def hostile_draw(tmp_path_factory) -> Path:
    """A draw whose entity names are markup a browser would run."""
    base = tmp_path_factory.mktemp("hostile-draw")
    rows = list(csv.reader(io.StringIO((DRAW / "entities.csv").read_text(encoding="utf-8-sig"))))
    col = rows[0].index("name")
    for r in rows[1:]:
        r[col] = HTML_NAME + r[col]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    (base / "entities.csv").write_text(buf.getvalue(), encoding="utf-8")
    return draw_folder(base, base / "entities.csv", "--format", "csv")
