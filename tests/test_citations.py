"""Citation texts → provisions (engine/library/citations.py).  Expected values are written by hand."""
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from engine.library.citations import Citation, normalize_law, parse_citations, resolve, resolve_basis

FSL = "中华人民共和国食品安全法"
WSL = "中华人民共和国安全生产法"
DATA = Path(__file__).resolve().parent / "data" / "real_decisions.yaml"


def nums(cits):
    return [(c.law_text, c.article, c.paragraph, c.item) for c in cits]


# ───────────────────────────── parsing ─────────────────────────────

@pytest.mark.parametrize("text, expected", [
    ("《中华人民共和国食品安全法》第一百二十四条第一款第（五）项", [(FSL, 124, 1, 5)]),
    ("第124条第1款第5项", [(None, 124, 1, 5)]),
    ("124条1款5项", [(None, 124, 1, 5)]),
    ("食品安全法第１２４条第１款第５项", [("食品安全法", 124, 1, 5)]),
    ("《食品安全法》第一百二十四条第(五)项", [("食品安全法", 124, None, 5)]),
    ("《中华人民共和国大气污染防治法》第一百零八条 (三 )", [("中华人民共和国大气污染防治法", 108, None, 3)]),
    ("《中华人民共和国广告法》第五十八条第一款第(一)(十四)项",
     [("中华人民共和国广告法", 58, 1, 1), ("中华人民共和国广告法", 58, 1, 14)]),
    ("《河北省规则》第十五条第一款第(二)、(三)项", [("河北省规则", 15, 1, 2), ("河北省规则", 15, 1, 3)]),
    ("《中華人民共和國廣告法》第二十六條第(四)款", [("中华人民共和国广告法", 26, None, 4)]),
    ("《广告法》第二十八条、第五十五条第一款", [("广告法", 28, None, None), ("广告法", 55, 1, None)]),
    ("《中华人民共和国食品安全法》第一百二十四条第一款、第二款规定以及《中华人民共和国行政处罚法》第二十七条第一款第(一)项",
     [(FSL, 124, 1, None), (FSL, 124, 2, None), ("中华人民共和国行政处罚法", 27, 1, 1)]),
    ("《关于规范裁量权的指导意见》第十四条第二项、第六项", [("关于规范裁量权的指导意见", 14, None, 2),
                                                 ("关于规范裁量权的指导意见", 14, None, 6)]),
    ("《中华人民共和国道路交通安全法》第38条、第90条，《广东省道路交通安全条例》第59条第13项",
     [("中华人民共和国道路交通安全法", 38, None, None), ("中华人民共和国道路交通安全法", 90, None, None),
      ("广东省道路交通安全条例", 59, None, 13)]),
    ("《中华人民共和国食品安全法》第一百二十三条第一款第一项及第一百二十六条第一款第三项",
     [(FSL, 123, 1, 1), (FSL, 126, 1, 3)]),
    ("《中華人民共和國大氣污染防治法》**百零八條**項", [("中华人民共和国大气污染防治法", 108, None, None)]),
    ("《浙江省实施<中华人民共和国道路交通安全法>办法》第七十四条第一款第(三)项",
     [("浙江省实施<中华人民共和国道路交通安全法>办法", 74, 1, 3)]),
    ("《中华人民共和国广告法》第二十八条第二款(五)", [("中华人民共和国广告法", 28, 2, 5)]),
    ("", []),
    (None, []),
])
def test_parse_patterns(text, expected):
    assert nums(parse_citations(text)) == expected


def test_parse_quoted_article_text_between_number_and_item():
    text = ("《中华人民共和国食品安全法》第一百二十四条第一款“违反本法规定，有下列情形之一，尚不构成犯罪的，"
            "由县级以上人民政府食品安全监督管理部门没收违法所得；情节严重的，吊销许可证；”第五项“生产经营标注虚假"
            "生产日期、保质期或者超过保质期的食品、食品添加剂；”")
    assert nums(parse_citations(text)) == [(FSL, 124, 1, 5)]


def test_parse_law_named_without_article_is_a_law_only_citation():
    assert nums(parse_citations("《中華人民共和國食品安全法》相關規定")) == [(FSL, None, None, None)]
    assert nums(parse_citations("《廣告法》《醫療廣告管理辦法》等法律法規")) == [
        ("广告法", None, None, None), ("医疗广告管理办法", None, None, None)]


def test_parse_roles_and_benchmarks():
    text = ("依据依据《中华人民共和国安全生产法》第一百一十四条")
    assert parse_citations(text) == [Citation(WSL, 114, role="penalty")]
    text = ("当事人违反了《中华人民共和国安全生产法》第三十四条第一款和第九十八条的规定，"
            "依据《中华人民共和国安全生产法》第九十八条，参照《山东省市场监督管理行政处罚裁量基准(试行)》第七百零三条")
    got = parse_citations(text)
    assert [(c.article, c.paragraph, c.role, c.kind) for c in got] == [
        (34, 1, "violated", "statute"), (98, None, "violated", "statute"), (98, None, "penalty", "statute"),
        (703, None, "penalty", "benchmark")]
    assert got[3].law_text == "山东省市场监督管理行政处罚裁量基准(试行)"
    # a benchmark without 参照, by its name; its 【…】 part label is not a citation of the law inside it
    got = parse_citations("《中华人民共和国广告法》第五十八条第一款第(一)项；"
                          "《河北省市场监督管理系统行政处罚裁量基准》【《中华人民共和国广告法》】序号9较轻情形")
    assert [(c.article, c.kind) for c in got] == [(58, "statute"), (None, "benchmark")]
    got = parse_citations("《中华人民共和国安全生产法》第一百一十四条，结合《山东省安全生产行政处罚自由裁量基准》"
                          "(裁量细则)第140号第3档")
    assert [(c.article, c.kind) for c in got] == [(114, "statute"), (None, "benchmark")]


def test_parse_unbracketed_law_with_role_words_before_it():
    got = parse_citations("违反食品安全法第三十四条，依据食品安全法第一百二十四条第一款第（五）项")
    assert [(c.law_text, c.article, c.item, c.role) for c in got] == [
        ("食品安全法", 34, None, "violated"), ("食品安全法", 124, 5, "penalty")]


@pytest.mark.parametrize("text, hint", [
    ("安全生产法(2014)第一百零九条", "2014"),
    ("《安全生产法》（2014年修正）第一百零九条", "2014年修正"),
    ("《安全生产法》2014年修正第一百零九条", "2014年修正"),
    ("《中华人民共和国安全生产法(2014年版)》第一百零九条", "2014年版"),
])
def test_parse_version_hints(text, hint):
    [c] = parse_citations(text)
    assert (c.article, c.version_hint, c.version_year) == (109, hint, 2014)
    assert normalize_law(c.law_text) == "安全生产法"


def test_normalize_law():
    assert normalize_law("《中華人民共和國食品安全法》") == "食品安全法"
    assert normalize_law("安全生产法(2014年修正)") == "安全生产法"
    assert normalize_law("道交法") == "道路交通安全法"


# ───────────────────────────── resolving ─────────────────────────────

def one(text, ruleset):
    [c] = [c for c in parse_citations(text) if c.article is not None]
    return resolve(c, ruleset)


@pytest.mark.parametrize("text, pid", [
    ("《中华人民共和国食品安全法》第一百二十二条第一款", "FSL-122-1"),
    ("食品安全法第122条第1款", "FSL-122-1"),
    ("《中华人民共和国食品安全法》第一百二十四条第一款第（五）项", "FSL-124-1"),
    ("《食品安全法》124条1款5项", "FSL-124-1"),
    ("《中華人民共和國食品安全法》第一百二十四條第一款", "FSL-124-1"),
    ("食品安全法第一百二十五条第一款第二项", "FSL-125-1"),
    ("《食品安全法》第125条第2款", "FSL-125-2"),
    ("《中华人民共和国食品安全法》第一百二十六条第一款第(五)项", "FSL-126-1"),
    ("《广告法》第五十五条第一款", "ADL-55-1"),
    ("中华人民共和国广告法第55条第1款", "ADL-55-1"),
    ("《价格违法行为行政处罚规定》第七条", "PVR-7"),
    ("價格違法行為行政處罰規定第7条", "PVR-7"),
    ("《中华人民共和国道路交通安全法》第九十条", "RTSL-90"),
    ("道交法第90条", "RTSL-90"),
    ("《安全生产法》第一百一十四条", "WSL-114"),
    ("《中華人民共和國安全生產法》第一百一十四條第一款第(二)項", "WSL-114"),
    ("安全生产法第95条第1项", "WSL-95"),
    ("《中华人民共和国安全生产法》第九十五条", "WSL-95"),
])
def test_resolve_shipped_provisions(ruleset, text, pid):
    r = one(text, ruleset)
    assert r.provision == pid, r.reason
    assert r.version is None                       # current numbering: the engine picks the version


def test_resolve_branch_hints(ruleset):
    assert one("安全生产法第一百一十四条第一款第(二)项", ruleset).branches == ("larger",)
    assert one("安全生产法第一百一十四条第二款", ruleset).branches == (
        "general_x", "larger_x", "major_x", "especially_major_x")
    r = one("价格违法行为行政处罚规定第十一条第一款", ruleset)      # a branch citation PVR-4, 7 and 8 share
    assert r.provision is None and r.candidates == ("PVR-4", "PVR-7", "PVR-8", "PVR-9")


def test_resolve_older_text_numbering(ruleset):
    r = one("安全生产法(2014)第一百零九条", ruleset)
    assert (r.provision, r.version) == ("WSL-114", dt.date(2014, 12, 1))
    assert "2014年修正" in r.via
    r = one("《中华人民共和国安全生产法》(2014年修正)第九十二条第(二)项", ruleset)
    assert (r.provision, r.version, r.branches) == ("WSL-95", dt.date(2014, 12, 1), ("larger",))
    # no hint: Art. 109 is today's WSL-109 (insurance) and the 2014 text's accident fines (WSL-114): not guessed
    r = one("《中华人民共和国安全生产法》第一百零九条第一款", ruleset)
    assert r.provision is None and r.candidates == ("WSL-109", "WSL-114")
    assert "请注明版本" in r.reason
    # a hint naming the current text: current numbering, that version's start
    r = one("安全生产法(2021年修正)第一百一十四条", ruleset)
    assert (r.provision, r.version) == ("WSL-114", dt.date(2021, 9, 1))
    # the 2014 text's Art. 114 is not today's Art. 114
    r = one("安全生产法(2014)第一百一十四条", ruleset)
    assert r.provision is None and r.reason.startswith("规则集中没有该版本的对应条款")


def test_resolve_paragraph_not_stated(ruleset):
    r = one("《中华人民共和国广告法》第五十五条", ruleset)          # ¶1 advertisers, ¶3 publishers
    assert r.provision is None and r.candidates == ("ADL-55-1", "ADL-55-3")
    r = one("《中华人民共和国食品安全法》第一百三十一条", ruleset)    # only ¶1 of Art. 131 is a penalty
    assert r.provision == "FSL-131" and "未写明款" in r.reason
    r = one("《食品安全法》第一百二十五条", ruleset)
    assert r.provision is None and r.candidates == ("FSL-125-1", "FSL-125-2")
    assert r.reason.startswith("引用不明确")
    r = one("《食品安全法》第一百二十五条第(四)项", ruleset)       # only ¶1 of Art. 125 has items
    assert r.provision == "FSL-125-1" and "推定为第1款" in r.reason


def test_resolve_unresolvable_names_nearest(ruleset):
    r = one("《中华人民共和国食品安全法》第一百四十三条", ruleset)    # Art. 143: 处分 of officials only (excluded)
    assert r.provision is None
    assert r.reason == "未找到对应条款 (no provision for) 《中华人民共和国食品安全法》第143条"
    # by article distance: 140 ¶4, ¶5 (3; 141 and 142 set no penalty of their own), then 139 (4), 138 ¶2 (5), 137 (6)
    assert set(r.nearest[:2]) == {"FSL-140-4", "FSL-140-5"}
    assert r.nearest[2:] == ("FSL-139", "FSL-138-2", "FSL-137")
    r = one("《安全生产法》第一百一十五条", ruleset)                  # Art. 115: who decides (excluded)
    # by article distance: 114 (1), 113 (2), 112 (3), 110 ¶1 (5), 109 (6)
    assert r.provision is None and r.nearest == ("WSL-114", "WSL-113", "WSL-112", "WSL-110-1", "WSL-109")
    r = one("《浙江省实施<中华人民共和国道路交通安全法>办法》第七十四条第一款第(三)项", ruleset)
    assert r.provision is None and r.reason.startswith("规则集未收录该法规")
    assert r.nearest and all(p.startswith("RTSL-") for p in r.nearest)     # the Act's provisions
    r = one("《中华人民共和国行政处罚法》第二十八条第一款", ruleset)
    assert r.provision is None and r.nearest == ()
    [b] = parse_citations("参照《山东省市场监督管理行政处罚裁量基准(试行)》第七百零三条")
    r = resolve(b, ruleset)
    assert r.provision is None and r.reason.startswith("裁量基准")


def test_resolve_item_provision_preferred():
    """An item with its own provision resolves to it; another item of the paragraph to the paragraph's."""
    from engine.ruleset.models import Provision

    def prov(pid, **cit):
        return Provision.model_validate({
            "kind": "provision", "id": pid, "title": pid, "citation": {"law": "中华人民共和国某法", **cit},
            "versions": [{"valid_from": "2020-01-01", "source": "某法", "branches": [{"id": "all"}]}]})
    rs = SimpleNamespace(provisions={p.id: p for p in [prov("X-10-1", article=10, paragraph=1),
                                                         prov("X-10-1-3", article=10, paragraph=1, item=3)]})
    assert resolve(parse_citations("某法第十条第一款第(三)项")[0], rs).provision == "X-10-1-3"
    assert resolve(parse_citations("某法第十条第一款第(二)项")[0], rs).provision == "X-10-1"
    assert resolve(parse_citations("某法第十条第一款")[0], rs).provision == "X-10-1"


def test_resolve_basis(ruleset):
    b = resolve_basis("违反食品安全法第三十四条，依据食品安全法第一百二十四条第一款第（五）项和第一百二十六条第一款",
                      ruleset)
    assert b.provisions == ["FSL-124-1", "FSL-126-1"] and b.multi
    b = resolve_basis("当事人违反了《中华人民共和国安全生产法》第三十四条第一款和第一百一十四条的规定", ruleset)
    assert b.provisions == ["WSL-114"]                     # only a 'violated' citation names it
    assert "违反条款" in b.reasons[-1]
    assert resolve_basis("AQSC-114", ruleset).provisions == ["WSL-114"]
    b = resolve_basis(None, ruleset)
    assert not b.ok and b.reasons == ["未填写处罚依据 (no basis given)"]
    b = resolve_basis("《中华人民共和国安全生产法》第三十四条第一款和第一百一十五条", ruleset)
    # Art. 34's nearest come first: 92 (distance 58, two provisions, and WSL-95, which is 92 in its 2014
    # numbering), 93 (59), 94 (60)
    assert not b.ok and set(b.nearest) == {"WSL-92-1", "WSL-92-2", "WSL-93-1", "WSL-94", "WSL-95"}
    assert b.reasons[0].startswith("未找到处罚条款")


# ───────────────────────────── the real decisions ─────────────────────────────

# Worked by hand from each record's basis_text: (provision ids, version hint of the first).
REAL = {
    "RD-001": (["FSL-124-1"], None), "RD-002": (["FSL-125-1"], None), "RD-003": (["FSL-124-1"], None),
    "RD-004": ([], None), "RD-005": (["FSL-126-1"], None), "RD-006": (["FSL-126-1"], None),
    "RD-007": (["FSL-125-1"], None), "RD-008": (["FSL-124-1"], None), "RD-009": (["FSL-124-1"], None),
    "RD-010": (["FSL-124-1"], None), "RD-011": (["FSL-124-1"], None),
    "RD-012": ([], None),                      # 《食品安全法》相關規定: no article
    "RD-013": (["FSL-124-1"], None), "RD-014": ([], None), "RD-015": (["FSL-124-1"], None),
    "RD-016": ([], None), "RD-017": (["FSL-124-1"], None), "RD-018": (["FSL-124-1"], None),
    "RD-019": (["FSL-124-1"], None),
    "RD-020": (["FSL-123-1", "FSL-126-1"], None),   # Art. 123 ¶1 (1) and Art. 126 ¶1 (3): two violations
    "RD-021": (["FSL-124-1"], None),
    "RD-022": ([], None),                      # 第五十五条, paragraph not stated: ¶1 (advertiser) or ¶3?
    "RD-023": (["ADL-58-1"], None), "RD-024": (["ADL-58-1"], None),   # Art. 58 ¶1 items (一), (八)
    "RD-025": (["ADL-58-1"], None),            # Art. 58 ¶1 items (一)(十四)
    "RD-026": (["ADL-55-1"], None), "RD-027": (["ADL-57"], None), "RD-028": ([], None),   # 57 item (一)
    "RD-029": ([], None),                      # 《廣告法》…等法律法規: no article
    "RD-030": ([], None), "RD-063": ([], None), "RD-064": ([], None),
    "RD-031": (["WSL-114"], None),
    # 2014 numbers cited without the version: today's Arts. 109 and 92 are other provisions (WSL-109,
    # WSL-92-*), so nothing is resolved until the version is named (the decision date could decide: not built)
    "RD-032": ([], None),
    "RD-033": (["WSL-114"], None),
    "RD-034": ([], None),
    "RD-035": ([], None),
    "RD-036": ([], None), "RD-037": (["WSL-114"], None), "RD-038": ([], None),
    "RD-039": (["WSL-98"], None),              # 违反…第三十四条第一款和第九十八条: Art. 98 is the penalty
    "RD-040": (["WSL-114"], None),
    "RD-045": (["PVR-13"], None),              # 价格违法行为行政处罚规定 Art. 13 item (四)
    "RD-046": (["PRL-39", "PVR-9"], None),     # 价格法 Art. 39 and its 价格违法行为行政处罚规定 Art. 9
    "RD-048": (["RTSL-90"], None), "RD-049": (["RTSL-90"], None), "RD-050": ([], None),
    "RD-051": ([], None),                      # a provincial 实施办法, not the Act
    "RD-052": (["RTSL-90"], None),
}


def test_real_decisions(ruleset):
    records = {r["id"]: r for r in yaml.safe_load(DATA.read_text(encoding="utf-8"))}
    for rid, (pids, version) in REAL.items():
        b = resolve_basis(records[rid].get("basis_text"), ruleset)
        assert b.provisions == pids, (rid, b.reasons)
        if pids:
            assert b.resolutions[0].version == version, rid
        else:
            assert b.reasons, rid
    nearest = {rid: resolve_basis(records[rid]["basis_text"], ruleset).nearest
               for rid in ("RD-022", "RD-039", "RD-051")}
    assert nearest == {"RD-022": ("ADL-55-1", "ADL-55-3"), "RD-039": (),
                       "RD-051": nearest["RD-051"]}
    assert nearest["RD-051"] and all(p.startswith("RTSL-") for p in nearest["RD-051"])


def test_review_reads_a_violation_code_written_as_a_citation(ruleset, calendar):
    """A decision cites its basis as text: 食品安全法 Art. 124 ¶1 (货值 8,000 < 10,000: fine 50,000–100,000),
    and 安全生产法(2014) Art. 109 (today's Art. 114, its 2014 version)."""
    import datetime as dt

    import pandas as pd

    from engine.review import review_frame
    raw = pd.DataFrame([
        {"case_id": "C1", "violation_code": "《中华人民共和国食品安全法》第一百二十四条第一款第（四）项",
         "party_type": "单位", "violation_date": "2024-03-01", "decision_date": "2024-04-20",
         "goods_value": "8000", "fine": "75000", "officers": "A;B"},
        {"case_id": "C2", "violation_code": "安全生产法(2014)第一百零九条", "party_type": "单位",
         "violation_date": "2019-03-01", "decision_date": "2019-06-01", "accident_level": "一般",
         "fine": "300000", "officers": "A;B"},
        {"case_id": "C3", "violation_code": "广告法第五十六条", "party_type": "单位",
         "violation_date": "2024-03-01", "decision_date": "2024-04-20", "fine": "1", "officers": "A;B"},
    ]).astype(object)
    ev = review_frame(raw, ruleset, dt.date(2024, 12, 31), calendar)
    assert list(ev.provision[:2]) == ["FSL-124-1", "WSL-114"]
    assert (ev.lo[0], ev.hi[0]) == (50000, 100000)
    assert ev.records.rejections.mask[2]
    reason = ev.records.rejections.text(2)
    # Art. 56 is civil liability (excluded); nearest: 55 ¶1, ¶3 and 57 (1)
    assert "广告法第五十六条" in reason and "ADL-55-1" in reason and "ADL-57" in reason


JUDGED = [
    # (citation as written, provision to judge by or None, words the reason must contain)
    ("《中华人民共和国食品安全法》第一百二十四条第一款第（四）项", "FSL-124-1", ""),
    ("违反《食品安全法》第三十四条，依据《食品安全法》第一百二十四条第一款", "FSL-124-1", ""),
    ("安全生产法(2014)第一百零九条", "WSL-114", ""),
    # today's Art. 109 is the insurance article: without the version the 2014 number must not be guessed
    ("《中华人民共和国安全生产法》第一百零九条", None, "name the version"),
    ("食品安全法第一百二十四条之一", None, "N-bis"),
    ("依据《食品安全法》第一百二十四条第一款和第一百二十五条", None, "FSL-125-1, FSL-125-2"),
    ("违反《食品安全法》第一百二十四条第一款，依据《北京市食品安全条例》第七十条", None, "北京市食品安全条例"),
    # 价格违法行为行政处罚规定 Art. 11 applies to Arts. 4–10 alike: it does not tell which violation
    ("价格违法行为行政处罚规定第十一条", None, "PVR-4, PVR-7, PVR-8"),
    ("第55条", None, "no law named"),
    ("安全生产法第一百一十四条第三款", None, "2 paragraph"),       # Art. 114 has two paragraphs
    ("食品安全法第一百二十六条第（十四）项", None, "no item 14"),    # Art. 126 ¶1 has items (一)–(十三)
]


@pytest.mark.parametrize("text,provision,says", JUDGED)
def test_a_record_is_judged_only_by_a_citation_that_names_one_provision_exactly(ruleset, text, provision, says):
    from engine.library.citations import judged_provision
    pid, why = judged_provision(text, ruleset)
    assert pid == provision, why
    assert says in why
