"""Accountability rule files: the bundled ones load with sources; every mistake is file:line: reason."""
import shutil
from pathlib import Path

import pytest

from engine.accountability.loader import load_accountability_rules
from engine.errors import RuleFileError

RULES = Path(__file__).resolve().parents[2] / "rules" / "accountability"


def test_bundled_rules_every_number_has_a_source_and_basis():
    rules = load_accountability_rules()
    assert rules.window_days == 365
    assert [t.id for t in rules.triggers] == ["ACC-COUNT", "ACC-DOUBLE-CHECK", "ACC-RANKING", "ACC-ESCALATE"]
    count, double, ranking, esc = rules.triggers
    assert [(lv.at_least, lv.measure) for lv in count.model.levels] == [(1, "效能告诫"), (2, "诫勉谈话"),
                                                                         (3, "通报批评")]
    assert (ranking.value("min_cases"), ranking.value("bottom_n"), ranking.value("per")) == (20, 3, 100)
    assert esc.value("escalate_after") == 2
    assert [s.measure for s in rules.ladder.steps][:4] == ["效能告诫", "诫勉谈话", "通报批评", "停职检查"]
    assert rules.step("通报批评").recommend == ["调整岗位"]
    assert rules.rank("领导责任") == rules.rank("效能告诫") == 0
    params = [rules.parameters["window_days"], *ranking.model.parameters.values(),
              *esc.model.parameters.values()]
    for p in params + list(count.model.levels) + list(rules.ladder.steps):
        assert p.basis in "PCU" and p.citations
    assert ranking.model.parameters["bottom_n"].basis == "P"          # seed 003 item 11: 排名后三名


def _copy(tmp_path) -> Path:
    d = tmp_path / "acc"
    shutil.copytree(RULES, d)
    return d


def _edit(path: Path, old: str, new: str):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line(path: Path, needle: str) -> int:
    return next(i for i, l in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in l)


def _problems(root) -> list[str]:
    with pytest.raises(RuleFileError) as e:
        load_accountability_rules(root)
    return [str(p) for p in e.value.problems]


def test_mistyped_key_names_file_and_line(tmp_path):
    d = _copy(tmp_path)
    f = d / "ACC-RANKING.yaml"
    _edit(f, "measure: 诫勉谈话", "mesure: 诫勉谈话")
    probs = _problems(d)
    assert f"{f}:{_line(f, 'mesure:')}: mesure: 未知的键，是否拼错 (unknown key: mistyped?)" in probs
    assert any(p.startswith(f"{f}:") and "measure: 缺少必填的键 (required key is missing)" in p for p in probs)


def test_bad_condition_names_the_when_line(tmp_path):
    d = _copy(tmp_path)
    f = d / "ACC-DOUBLE-CHECK.yaml"
    _edit(f, 'category == "overreach"', 'categry == "overreach"')
    (p,) = _problems(d)
    assert p.startswith(f"{f}:{_line(f, 'when:')}: when: 未知字段 (unknown field) 'categry'")


def test_unknown_choice_in_condition(tmp_path):
    d = _copy(tmp_path)
    f = d / "ACC-COUNT.yaml"
    _edit(f, '"medium", "high"', '"medium", "hgh"')
    (p,) = _problems(d)
    assert p.startswith(f"{f}:{_line(f, 'when:')}:") and "'hgh' 不是 severity 的可用值" in p


def test_measure_not_on_the_ladder(tmp_path):
    d = _copy(tmp_path)
    f = d / "ACC-COUNT.yaml"
    _edit(f, "measure: 诫勉谈话", "measure: 诫免谈话")
    (p,) = _problems(d)
    assert p.startswith(f"{f}:{_line(f, '诫免谈话')}: levels.1.measure: '诫免谈话' 不是问责阶梯中的措施")


def test_levels_must_increase_and_parameters_need_sources(tmp_path):
    d = _copy(tmp_path)
    f = d / "ACC-COUNT.yaml"
    _edit(f, "at_least: 3", "at_least: 2")
    g = d / "ACC-ESCALATE.yaml"
    text = g.read_text(encoding="utf-8")
    g.write_text(text.split("    citations:\n      - {law: 耿马县")[0] + "    citations: []\n", encoding="utf-8")
    probs = _problems(d)
    assert any(p.startswith(f"{f}:") and "at_least 须严格递增" in p for p in probs)
    assert any(p.startswith(f"{g}:{_line(g, 'citations: []')}: parameters.escalate_after.citations:") for p in probs)


def test_yaml_syntax_duplicate_key_wrong_id_and_missing_ladder(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "ACC-RANKING.yaml", "type: ranking", "type: ranking\ntype: ranking")
    _edit(d / "ACC-ESCALATE.yaml", "id: ACC-ESCALATE", "id: ACC-UP")
    (d / "ladder.yaml").unlink()
    probs = _problems(d)
    dup_line = _line(d / "ACC-RANKING.yaml", "type: ranking") + 1       # the second 'type:'
    assert f"{d / 'ACC-RANKING.yaml'}:{dup_line}: duplicate key 'type'" in probs
    assert any("id 'ACC-UP' 须与文件名 'ACC-ESCALATE' 一致" in p for p in probs)
    assert f"{d}:0: 须有且只有一个 kind: ladder 文件 (exactly one kind: ladder file is required) (未找到 none found)" in probs


def test_unknown_trigger_type(tmp_path):
    d = _copy(tmp_path)
    f = d / "ACC-RANKING.yaml"
    _edit(f, "type: ranking", "type: rankings")
    (p,) = _problems(d)
    assert p.startswith(f"{f}:") and "rankings" in p
