"""rules/catalog/cleanup.yaml: the rules come from the file, and a mistake names file, line and problem."""
import datetime as dt
from pathlib import Path

import pytest

from engine.catalog.rules import load_cleanup
from engine.errors import RuleFileError
from .helpers import item, judge, row_of

BUNDLED = Path(__file__).resolve().parents[2] / "rules" / "catalog" / "cleanup.yaml"


def rules_with(tmp_path, old: str, new: str) -> Path:
    text = BUNDLED.read_text(encoding="utf-8")
    assert old in text, old
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "cleanup.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, l in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in l)


def test_bundled_rules_load_with_every_reason_cited():
    rules = load_cleanup()
    assert rules.statutory_levels == ["法律", "行政法规", "国务院决定", "地方性法规"]
    assert rules.period_years == 1
    assert len(rules.codes) == 6
    for code in rules.codes:
        assert rules.reason(code).citations and rules.reason(code).zh and rules.reason(code).en


def test_the_period_is_read_from_the_file(tmp_path):
    d = rules_with(tmp_path, "temporary_period_years:\n  value: 1", "temporary_period_years:\n  value: 2")
    rows = [item(basis_level="省级政府规章", basis_date="2023-01-01")]
    assert row_of(judge(rows, as_of=dt.date(2024, 6, 1)))["verdict"] == "cancel"
    assert row_of(judge(rows, as_of=dt.date(2024, 6, 1), rules_dir=d))["verdict"] == "retain"


def test_the_statutory_levels_are_read_from_the_file(tmp_path):
    d = rules_with(tmp_path, "value: [法律, 行政法规, 国务院决定, 地方性法规]", "value: [法律, 行政法规, 国务院决定]")
    assert row_of(judge([item(basis_level="地方性法规")], rules_dir=d))["reasons"] == ["cancel.no_statutory_basis"]


def test_unknown_field_in_a_condition_names_file_and_line(tmp_path):
    d = rules_with(tmp_path, "when: enterprise_autonomy", "when: enterprise_autonomous")
    path = d / "catalog" / "cleanup.yaml"
    with pytest.raises(RuleFileError) as e:
        load_cleanup(d)
    msg = str(e.value)
    assert f"{path}:{line_of(path, 'enterprise_autonomous')}:" in msg
    assert "未知字段 (unknown field) 'enterprise_autonomous'" in msg


def test_unknown_basis_level_in_a_condition_is_caught(tmp_path):
    d = rules_with(tmp_path, "basis_level != '省级政府规章'", "basis_level != '省政府规章'")
    path = d / "catalog" / "cleanup.yaml"
    with pytest.raises(RuleFileError, match="'省政府规章' 不是 basis_level 的可用值") as e:
        load_cleanup(d)
    assert f"{path}:{line_of(path, '省政府规章')}:" in str(e.value)


def test_mistyped_key_names_its_line(tmp_path):
    d = rules_with(tmp_path, "  cancel.resolvable_by_consultation:\n    zh:", "  cancel.resolvable_by_consultation:\n    zh_cn:")
    path = d / "catalog" / "cleanup.yaml"
    with pytest.raises(RuleFileError) as e:
        load_cleanup(d)
    msg = str(e.value)
    assert f"{path}:{line_of(path, 'zh_cn:')}: reasons.cancel.resolvable_by_consultation.zh_cn: 未知的键" in msg
    assert "reasons.cancel.resolvable_by_consultation.zh: 缺少必填的键 (required key is missing)" in msg


def test_duplicate_key_is_rejected(tmp_path):
    d = rules_with(tmp_path, "id: catalog-cleanup\n", "id: catalog-cleanup\nid: again\n")
    path = d / "catalog" / "cleanup.yaml"
    with pytest.raises(RuleFileError, match="duplicate key 'id'") as e:
        load_cleanup(d)
    assert f"{path}:{line_of(path, 'id: again')}:" in str(e.value)


def test_statutory_level_must_be_a_known_level(tmp_path):
    d = rules_with(tmp_path, "value: [法律, 行政法规, 国务院决定, 地方性法规]", "value: [法律, 法规]")
    path = d / "catalog" / "cleanup.yaml"
    with pytest.raises(RuleFileError) as e:
        load_cleanup(d)
    assert f"{path}:{line_of(path, 'value: [法律, 法规]')}: statutory_levels.value.1:" in str(e.value)


def test_citation_needs_an_article_unless_it_is_a_document(tmp_path):
    d = rules_with(tmp_path, "    - law: 中华人民共和国行政许可法\n      article: 14\n",
                   "    - law: 中华人民共和国行政许可法\n")
    with pytest.raises(RuleFileError, match="needs 'article'"):
        load_cleanup(d)


def test_syntax_error_and_missing_file(tmp_path):
    d = rules_with(tmp_path, "title: ", "title: [")
    with pytest.raises(RuleFileError, match="YAML syntax"):
        load_cleanup(d)
    with pytest.raises(RuleFileError, match="not found"):
        load_cleanup(tmp_path / "nowhere")


def test_condition_must_be_true_or_false(tmp_path):
    d = rules_with(tmp_path, "when: enterprise_autonomy", "when: basis_date")
    with pytest.raises(RuleFileError, match="must give bool"):
        load_cleanup(d)
