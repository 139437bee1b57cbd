"""Statute texts read as articles, paragraphs and items; penalty articles listed per law."""
from __future__ import annotations

import datetime as dt
import re
import json

from click.testing import CliRunner

from cli import main
from engine.library.statutes import cn_number, read_library, read_statute


def test_chinese_article_numbers_are_read():
    assert [cn_number(t) for t in ("一", "十", "十二", "一百零九", "一百二十四", "一百五十四", "124")] == \
        [1, 10, 12, 109, 124, 154, 124]


def test_statute_numerals_read_without_the_converter_agree_with_it():
    """Numerals below 10,000 as statutes write them are read by a short path; every one of them, as cn2an
    itself writes it, must come out as cn2an reads it.  Other forms (大写, 万) still go through cn2an."""
    import cn2an
    for n in range(1, 10000):
        text = cn2an.an2cn(n)
        assert cn_number(text) == n, text
    assert cn_number("一百十五") == 115 and cn_number("三百〇八") == 308
    assert cn_number("壹佰零玖") == 109 and cn_number("一万零一") == 10001


def test_food_safety_law_article_124_has_three_paragraphs_and_nine_items():
    """食品安全法(2021) 第一百二十四条: ¶1 lists items （一）–（九）; ¶2 (食品添加剂) and ¶3 (生产) follow."""
    lib = read_library()
    law = lib["中华人民共和国食品安全法"]
    assert law.short == "食品安全法" and law.version == dt.date(2021, 4, 29)
    art = law.article(124)
    assert len(art.paragraphs) == 3
    assert len(art.paragraphs[0].items) == 9
    assert art.paragraphs[0].items[0].startswith("（一）生产经营致病性微生物")
    assert "货值金额不足一万元的，并处五万元以上十万元以下罚款" in art.paragraphs[0].text
    assert max(law.articles) == 154 and sorted(law.articles) == list(range(1, 155))


def test_headings_end_an_article(tmp_path):
    path = tmp_path / "示例法(2020-01-01).md"
    path.write_text("# 示例法\n\n## 第一章 总则\n\n第一条 甲。\n\n第二条 乙：\n\n（一）丙；\n\n（二）丁。\n\n"
                    "第二款。\n\n## 第二章 罚则\n\n说明文字\n\n第三条 处一万元以下罚款。\n", encoding="utf-8")
    s = read_statute(path)
    assert s.title == "示例法" and sorted(s.articles) == [1, 2, 3]
    assert [len(p.items) for p in s.articles[2].paragraphs] == [2, 0]
    assert s.articles[3].text == "处一万元以下罚款。" and s.articles[3].chapter == "第二章 罚则"


def test_coverage_lists_penalty_articles_and_the_encoded_ones():
    """广告法(2021): Art. 55 (虚假广告) is encoded by ADL-55-1; Art. 56 (civil liability) imposes no penalty."""
    r = CliRunner().invoke(main, ["rules", "coverage", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["law"]: row for row in json.loads(r.output)}
    ad = rows["中华人民共和国广告法"]
    assert 55 not in ad["missing_articles"] and 56 not in ad["missing_articles"]
    assert 69 not in ad["missing_articles"]    # the bar on the legal representative: ADL-69 (限制从业)
    assert ad["articles"] == ad["encoded"] + ad["excluded"] + ad["missing"]
    food = rows["中华人民共和国食品安全法"]
    assert not {122, 124, 125, 126} & set(food["missing_articles"])


def test_every_exclusion_names_a_penalty_article_of_the_texts_that_no_provision_encodes():
    """rules/coverage.yaml must not hide an article the search does not find, or one that is encoded."""
    from pathlib import Path

    from engine.library.coverage import cited_articles, penalty_articles, read_exclusions
    from engine.ruleset.loader import load_rules
    rs = load_rules(None)
    lib = read_library()
    excluded = read_exclusions(Path(rs.root) / "coverage.yaml")
    assert len(excluded) >= 40
    cited = cited_articles(rs)
    for (law, article), reason in excluded.items():
        assert article in penalty_articles(lib[law]), (law, article)
        assert (law, article) not in cited, (law, article)
        assert re.match(r"^[^(]*[\u4e00-\u9fff][^(]*\(.*[a-z]", reason), reason   # Chinese first, English after


def test_officials_only_exclusion_is_right_for_food_safety_article_145():
    """食品安全法 Art. 145 gives only 处分 (its 警告 is a 处分 of regulators' staff): excluded, not missing."""
    r = CliRunner().invoke(main, ["rules", "coverage", "--json"])
    food = {row["law"]: row for row in json.loads(r.output)}["中华人民共和国食品安全法"]
    assert 145 not in food["missing_articles"] and food["excluded"] >= 3


def test_readme_provision_table_is_the_generated_one():
    from pathlib import Path

    from engine.library.listing import render_markdown, rows
    from engine.ruleset.loader import load_rules
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    body = readme.split("<!-- /provisions -->")[0].split("keeps it equal -->\n")[1].rstrip("\n")
    assert body == render_markdown(rows(load_rules(None)))
    assert "| `WSL-95` | 安全生产法 第95条 |" in body and "2014-12-01–2021-08-31" in body


def test_rules_list_filters_by_law_and_prints_versions():
    r = CliRunner().invoke(main, ["rules", "list", "--law", "安全生产法", "--json"])
    assert r.exit_code == 0, r.output
    items = json.loads(r.output)
    ids = [i["id"] for i in items]
    assert {"WSL-114", "WSL-95", "WSL-109"} <= set(ids) and all(i.startswith("WSL-") for i in ids)
    wsl95 = items[ids.index("WSL-95")]
    assert wsl95["citation"] == "安全生产法 第95条"
    assert [v["valid_from"] for v in wsl95["versions"]] == ["2014-12-01", "2021-09-01"]
    every = json.loads(CliRunner().invoke(main, ["rules", "list", "--json"]).output)
    text = CliRunner().invoke(main, ["rules", "list"]).output
    assert "FSL-124-1" in text and f"共 {len(every)} 条" in text and len(every) >= 10
