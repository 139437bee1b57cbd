"""``rules draft``: drafts read from the statute texts, checked against the reviewed provisions.

The reviewed provision files under ``rules/penalty/`` are the oracle: people wrote them from the same
articles and worked their cases by hand.  A draft *agrees* with one when, at every record that matters
to either file's conditions (each literal a condition compares with, a cent below and above it, both
truth values of a flag, each code), both files give the same lawful fine range in yuan.  A draft that
does not agree must say so itself (a note under ``# 未能解析`` bearing on the ranges), or be listed in
``KNOWN_DIFFERENCES`` below with the reason; anything else fails.
"""
from __future__ import annotations

import functools
import itertools
import re
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from engine.errors import InputError
from engine.expr import Expression
from engine.expr.nodes import literals_compared
from engine.library.draft import draft, find_statute
from engine.library.draft_parse import FineRange, amount, multiple
from engine.library.statutes import read_library
from engine.records.schema import BY_NAME, expression_choices, expression_schema
from engine.types import FieldType

PENALTY = ROOT / "rules" / "penalty"

# Reviewed files whose fine ranges differ from the draft of their article on purpose, with the reason.
# Each is a reading the text alone does not give; the drafter is right not to guess them.
KNOWN_DIFFERENCES = {
    # 安全生产法 Arts. 106 and 110 ¶1 fine the 主要负责人 (a person) only; until the rule language has
    # subjects, the reviewed files branch on party_type and give a unit party no fine.
    "WSL-106": "persons-only fine encoded as a party_type branch",
    "WSL-110-1": "persons-only fine encoded as a party_type branch",
    # 安全生产法 Art. 93 ¶2 fines 个人经营的投资人 (an individual party) where an accident follows; the
    # drafter reads the paragraph's unit clause only.
    "WSL-93-1": "¶2's fine on the individual investor encoded as a party_type branch",
    # 消费者权益保护法 Art. 56 "单处或者并处…罚款": the reviewed file branches on whether a fine was imposed.
    "CPL-56": "optional fine encoded as a branch on the decided fine",
    # 药品管理法 Art. 117 ¶2 "可以处十万元以上五十万元以下的罚款": the reviewed file keeps the range and marks the
    # fine optional (fine.optional); the drafter reads 可以处 with no fine decided as no fine lawful.
    "DAL-117-2": "optional fine (可以处) kept as a range marked optional",
    # 价格违法行为行政处罚规定 Arts. 4, 7, 8: "没有违法所得的，处…" sets the range for a business; the reviewed
    # files add the range for an individual operator from Art. 11 ¶1, another article.
    "PVR-4": "individuals' range taken from Art. 11 ¶1",
    "PVR-7": "individuals' range taken from Art. 11 ¶1",
    "PVR-8": "individuals' range taken from Art. 11 ¶1",
    # 广告法 Art. 60 "可以处五万元以下的罚款": the reviewed file gives a record without a fine a branch of its
    # own (no tier check on 0); the drafter reads "…以下" as a minimum of 0, as the reviewed PVR-13,
    # MBP-24/25 and AUCL-28 do.
    "ADL-60": "可以处…以下: reviewed file splits on fine == 0, the draft reads min 0",
}


# ───────────────────────────── the oracle ─────────────────────────────

SAMPLE = {"goods_value": Decimal("1234.5"), "illegal_gain": Decimal("2345.6"), "ad_fee": Decimal("3456.7"),
          "prior_year_income": Decimal("4567.8"), "fine": Decimal("5678.9")}


@functools.lru_cache(maxsize=1)
def _declared() -> dict:
    """Facts the shipped provisions declare (name -> Column): conditions and bases may read them too."""
    from engine.ruleset.loader import load_rules
    return {n: c for n, (c, _) in load_rules(ROOT / "rules").declared.items()}


def _compile(text: str) -> Expression:
    schema = {**expression_schema(), **{n: c.type for n, c in _declared().items()}}
    choices = {**expression_choices(), **{n: set(c.codes) for n, c in _declared().items() if c.codes}}
    return Expression.compile(str(text), schema, choices)


def _values(field: str, literals: set) -> list:
    if field == "subject":            # the drafter drafts the part on the party; persons' parts are the reviewer's
        return [None, "party"]
    kind = (BY_NAME.get(field) or _declared()[field]).type
    if kind == FieldType.BOOL:
        return [False, True]
    if kind == FieldType.NUMBER:
        vals = {Decimal(0), SAMPLE.get(field, Decimal("777.7"))}
        for lit in literals:
            d = Decimal(str(lit))
            vals |= {d - Decimal("0.01"), d, d + Decimal("0.01")}
        return sorted(v for v in vals if v >= 0)
    if kind == FieldType.LIST:
        return [[]] + [[x] for x in sorted(map(str, literals))]
    return sorted(map(str, literals)) or ["其他"]


def _yuan(fine, point) -> tuple:
    """The lawful range at a record, in yuan; no fine lawful is the range [0, 0]."""
    if fine is None:
        return (Decimal(0), Decimal(0), None)
    if isinstance(fine, FineRange):
        lo, hi, base, alt = fine.lo, fine.hi, fine.base, fine.alternative
    else:
        base = fine.get("base")
        lo = Decimal(str(fine.get("min_multiple" if base else "min") or 0))
        hi = Decimal("Infinity") if fine.get("uncapped") else Decimal(str(fine.get("max_multiple" if base else "max")))
        alt = fine.get("alternative")
    if base:
        v = Decimal(str(point.get(base, SAMPLE.get(base, 0))))
        return (lo * v, hi * v, alt)
    return (lo, hi, alt)


def reviewed_branches(path: Path) -> list[tuple[str, dict | None]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    version = max(data["versions"], key=lambda v: str(v["valid_from"]))
    return [(b.get("when", "true"), b.get("fine")) for b in version["branches"]]


def pairs(branches) -> list[tuple[str, object]]:
    """A draft's branches as (condition, range) pairs."""
    return [(b.when, b.fine) for b in branches]


def compare(reviewed: list[tuple[str, object]], drafted: list[tuple[str, object]]) -> list[str]:
    """Records at which two sets of (condition, range) pairs give different ranges (empty: agree).
    A range is a reviewed file's ``fine`` mapping, a ``FineRange`` or None (no fine lawful)."""
    a = [(_compile(w), f) for w, f in reviewed]
    b = [(_compile(w), f) for w, f in drafted]
    literals: dict[str, set] = {}
    for expr, fine in a + b:
        for name, vals in literals_compared(expr.tree).items():
            literals.setdefault(name, set()).update(vals)
        for name in expr.fields:
            literals.setdefault(name, set())
        base = fine.get("base") if isinstance(fine, dict) else getattr(fine, "base", None)
        if base:
            literals.setdefault(base, set())
    names = sorted(literals)
    diffs = []
    for combo in itertools.product(*(_values(n, literals[n]) for n in names)):
        point = dict(zip(names, combo))
        record = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in point.items()}
        ra = sorted({_yuan(f, point) for e, f in a if e.evaluate_record(record)}, key=str)
        rb = sorted({_yuan(f, point) for e, f in b if e.evaluate_record(record)}, key=str)
        if ra != rb:
            diffs.append(f"{point}: reviewed {ra} draft {rb}")
    return diffs


def shipped() -> list[Path]:
    """Every reviewed provision file, read when the test runs (more are added while others work)."""
    out = []
    for p in sorted(PENALTY.rglob("*.yaml")):
        if p.name.endswith(".cases.yaml"):
            continue
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("kind") == "provision" and not data.get("draft"):
            out.append(p)
    return out


def judge(path: Path, library) -> tuple[str, str]:
    """(outcome, detail): agree | flagged | known | skipped | fail."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    c = data["citation"]
    try:
        reviewed = reviewed_branches(path)
        for w, _ in reviewed:
            _compile(w)
    except Exception as e:        # noqa: BLE001 — a field outside the core record (a fact a file declares)
        return "skipped", f"reviewed conditions outside the core schema: {e}"
    m = re.search(r"-s(\d+)$", data["id"])           # ids ending -sN: the Nth part of the paragraph
    d = draft(c["law"], c["article"], c.get("paragraph"), sentence=int(m.group(1)) if m else None,
              library=library)
    diffs = compare(reviewed, pairs(d.branches))
    if not diffs:
        return "agree", ""
    if data["id"] in KNOWN_DIFFERENCES:
        return "known", KNOWN_DIFFERENCES[data["id"]]
    if d.range_notes:
        return "flagged", "; ".join(n.text for n in d.range_notes)
    return "fail", diffs[0]


# ───────────────────────────── every shipped provision ─────────────────────────────

# Measured 2026-12-02 on 141 shipped provisions: 137 agree, 0 flagged, 4 known differences, 0 failures;
# then on 159 (after the second wave of encoding): 148 agree, 4 flagged, 7 known differences, 0 failures;
# on 187 (with 药品管理法): 172 agree, 5 flagged, 8 known differences, 2 skipped, 0 failures;
# on 210 (every penalty article, sixth session): 178 agree, 23 flagged, 9 known, 0 failures — the 23 read bases
# the record lacks until a provision declares them (认证费用, 虚报注册资本金额, 直接损失…), 按日连续处罚, 依照 and
# "可以处以罚款" with no amount, each said by the drafter in its notes.
# The floor leaves room for provisions added later whose wording the reader does not know yet (they
# must then be flagged by the drafter or listed above, never silently wrong: any failure fails the test).
MIN_AGREEMENT = 0.84


@pytest.fixture(scope="module")
def library():
    return read_library()


def test_every_shipped_provision_agrees_or_says_what_it_could_not_parse(library):
    files = shipped()
    assert len(files) >= 130, "the reviewed provisions are the oracle: they must be there"
    outcomes: dict[str, list[str]] = {}
    details = {}
    for path in files:
        outcome, detail = judge(path, library)
        outcomes.setdefault(outcome, []).append(path.stem)
        details[path.stem] = detail
    counted = len(files) - len(outcomes.get("skipped", []))
    agree = len(outcomes.get("agree", []))
    summary = ", ".join(f"{k} {len(v)}" for k, v in sorted(outcomes.items())) + f" of {len(files)}"
    print(f"\nrules draft vs shipped provisions: {summary}")
    for name in outcomes.get("flagged", []) + outcomes.get("skipped", []):
        print(f"  {name}: {details[name][:200]}")
    assert not outcomes.get("fail"), "drafts differing from the reviewed file without a note: " + "; ".join(
        f"{n}: {details[n]}" for n in outcomes["fail"])
    assert counted >= 130, f"too few reviewed files could be compared: {summary}"
    assert agree / counted >= MIN_AGREEMENT, summary
    stale = [k for k in KNOWN_DIFFERENCES if k in {p.stem for p in files} and k not in outcomes.get("known", [])]
    assert not stale, f"known differences that no longer differ (remove them): {stale}"


def test_the_comparison_tells_different_provisions_apart(library):
    """The oracle can fail: 食品安全法 Art. 125 ¶1 (5,000–50,000, 5–10×) is not Art. 124 ¶1 (50,000–100,000,
    10–20×); 广告法 Art. 58 (1–3×) is not Art. 55 (3–5×); a base other than the reviewed one differs."""
    r124 = reviewed_branches(PENALTY / "food_safety" / "FSL-124-1.yaml")
    assert compare(r124, pairs(draft("FSL", 125, 1, library=library).branches))
    assert not compare(r124, r124)
    r55 = reviewed_branches(PENALTY / "advertising" / "ADL-55-1.yaml")
    assert compare(r55, pairs(draft("ADL", 58, 1, library=library).branches))
    other_base = [("goods_value < 10000", {"min": 50000, "max": 100000}),
                  ("goods_value >= 10000", {"base": "illegal_gain", "min_multiple": 10, "max_multiple": 20})]
    assert compare(r124, other_base)
    shifted = [("goods_value <= 10000", {"min": 50000, "max": 100000}),
               ("goods_value > 10000", {"base": "goods_value", "min_multiple": 10, "max_multiple": 20})]
    assert compare(r124, shifted), "10,000 is 一万元以上 (民法典 Art. 1259): the boundary must be seen"


# ───────────────────────────── hand-worked articles ─────────────────────────────

def _agrees(law, article, expected, paragraph=None, **kw):
    d = draft(law, article, paragraph, **kw)
    diffs = compare(expected, pairs(d.branches))
    assert not diffs, diffs[:3]
    return d


def test_numerals_through_cn2an():
    assert amount("五万") == 50000 and amount("1万") == 10000 and amount("二十万") == 200000
    assert amount("一百万") == 1_000_000 and amount("5000") == 5000 and amount("两千") == 2000
    assert multiple("十五倍") == 15 and multiple("等值") == 1 and multiple("百分之五十") == Decimal("0.5")
    assert multiple("5%") == Decimal("0.05")


def test_food_safety_124_1_value_split():
    """食品安全法 Art. 124 ¶1: 货值金额不足一万元的，并处五万元以上十万元以下罚款；货值金额一万元以上的，并处
    货值金额十倍以上二十倍以下罚款；情节严重的，吊销许可证."""
    d = _agrees("食品安全法", "一百二十四", [
        ("goods_value < 10000", {"min": 50000, "max": 100000}),
        ("goods_value >= 10000", {"base": "goods_value", "min_multiple": 10, "max_multiple": 20})], 1)
    assert d.id == "FSL-124-1"
    assert d.levels[0].gain == "mandatory"                       # 没收违法所得
    assert d.levels[0].sanctions["confiscate_goods"] == "mandatory"
    assert [lv.sanctions for lv in d.levels if lv.when == "serious"] == [{"revoke_license": "mandatory"}]


def test_food_safety_regulation_72_warning_refusal_serious():
    """食品安全法实施条例 Art. 72: 给予警告；拒不改正的，处1万元以上5万元以下罚款；情节严重的，责令停产停业，
    并处5万元以上20万元以下罚款 — serious replaces the refusal's range, the warning alone has no fine."""
    d = _agrees("FSLR", 72, [("not refused_correction and not serious", None),
                             ("refused_correction and not serious", {"min": 10000, "max": 50000}),
                             ("serious", {"min": 50000, "max": 200000})])
    assert d.levels[0].sanctions == {"warning": "mandatory"}


def test_work_safety_114_items_and_the_doubling_paragraph():
    """安全生产法 Art. 114 ¶1 items (一)–(四): 30万–100万, 100万–200万, 200万–1000万, 1000万–2000万; ¶2:
    情节特别严重、影响特别恶劣的，可以按照前款罚款数额的二倍以上五倍以下 — so 60万–500万, 200万–1000万,
    400万–5000万, 2000万–1亿."""
    levels = {"一般": (300_000, 1_000_000), "较大": (1_000_000, 2_000_000), "重大": (2_000_000, 10_000_000),
              "特别重大": (10_000_000, 20_000_000)}
    expected = []
    for name, (lo, hi) in levels.items():
        expected.append((f"accident_level == '{name}' and not serious", {"min": lo, "max": hi}))
        expected.append((f"accident_level == '{name}' and serious", {"min": lo * 2, "max": hi * 5}))
    _agrees("安全生产法", 114, expected)


def test_advertising_55_1_four_branches():
    """广告法 Art. 55 ¶1: 处广告费用三倍以上五倍以下的罚款，广告费用无法计算或者明显偏低的，处二十万元以上一百万元
    以下的罚款；两年内有三次以上违法行为或者有其他严重情节的，处广告费用五倍以上十倍以下的罚款，广告费用无法计算
    或者明显偏低的，处一百万元以上二百万元以下的罚款."""
    heavy = "prior_violations_2y >= 3 or serious"
    _agrees("中华人民共和国广告法", 55, [
        (f"not ({heavy}) and not ad_fee_uncomputable", {"base": "ad_fee", "min_multiple": 3, "max_multiple": 5}),
        (f"not ({heavy}) and ad_fee_uncomputable", {"min": 200000, "max": 1000000}),
        (f"({heavy}) and not ad_fee_uncomputable", {"base": "ad_fee", "min_multiple": 5, "max_multiple": 10}),
        (f"({heavy}) and ad_fee_uncomputable", {"min": 1000000, "max": 2000000})], 1)


def test_minimum_zero_optional_fines_party_split_and_alternatives():
    # 价格违法行为行政处罚规定 Art. 12: 没收违法所得，可以并处违法所得5倍以下的罚款 → 0–5 × illegal_gain.
    _agrees("PVR", 12, [("true", {"base": "illegal_gain", "min_multiple": 0, "max_multiple": 5})])
    # 大气污染防治法 Art. 119 ¶1: 并可以处五百元以上二千元以下的罚款 → no fine is lawful as well.
    d = _agrees("APL", 119, [("coalesce(fine, 0) == 0", None), ("coalesce(fine, 0) > 0", {"min": 500, "max": 2000})],
                1)
    assert [b.when for b in d.branches] == ["coalesce(fine, 0) == 0", "coalesce(fine, 0) > 0"]
    # 反不正当竞争法 Art. 28: 对个人可以处五千元以下的罚款，对单位可以处五万元以下的罚款.
    _agrees("AUCL", 28, [("party_type == 'individual'", {"min": 0, "max": 5000}),
                         ("party_type == 'organization'", {"min": 0, "max": 50000})])
    # 道路交通安全法 Art. 90: 处警告或者二十元以上二百元以下罚款.
    d = _agrees("RTSL", "九十", [("true", {"min": 20, "max": 200, "alternative": "warning"})])
    assert d.branches[0].fine.alternative == "warning"
    # 产品质量法 Art. 50: 货值金额百分之五十以上三倍以下的罚款.
    _agrees("PQL", 50, [("true", {"base": "goods_value", "min_multiple": 0.5, "max_multiple": 3})])
    # 安全生产法 Art. 110: 处上一年年收入百分之六十至百分之一百的罚款.
    _agrees("WSL", 110, [("true", {"base": "prior_year_income", "min_multiple": 0.6, "max_multiple": 1})])
    # 安全生产法 Art. 95 (一)–(四): 上一年年收入百分之四十 / 六十 / 八十 / 一百.
    _agrees("WSL", 95, [(f"accident_level == '{n}'", {"base": "prior_year_income", "min_multiple": m,
                                                      "max_multiple": m})
                        for n, m in (("一般", 0.4), ("较大", 0.6), ("重大", 0.8), ("特别重大", 1))])


def test_what_the_language_cannot_hold_is_listed_not_guessed():
    # 药品管理法 Art. 116: 货值金额不足十万元的，按十万元计算 — a floor on the base.
    d = draft("DAL", 116)
    assert any("按十万元计算" in n.text for n in d.range_notes)
    # 环境保护法 Art. 59: 按照原处罚数额按日连续处罚.
    assert any("按日连续处罚" in n.text for n in draft("EPL", 59).range_notes)
    # 安全生产法 Art. 101: 对其直接负责的主管人员和其他直接责任人员处二万元以上五万元以下的罚款 — not the unit's range.
    d = _agrees("WSL", 101, [("not refused_correction", {"min": 0, "max": 100000}),
                             ("refused_correction", {"min": 100000, "max": 200000})])
    assert any(n.kind == "subject" and "二万元以上五万元以下" in n.text for n in d.notes)
    # 食品安全法 Art. 124 ¶2: 依照前款规定给予处罚 — a cross-reference, no range of its own.
    d = draft("FSL", 124, 2)
    assert all(b.fine is None for b in d.branches)
    assert any("依照前款规定给予处罚" in n.text for n in d.range_notes)
    # 药品管理法 Art. 138: the unit's 20万–100万, and 五万元以下 for the persons, which is no unit range.
    d = _agrees("DAL", 138, [("true", {"min": 200000, "max": 1000000})])
    assert any(n.kind == "subject" and "五万元以下" in n.text for n in d.notes)
    # 反不正当竞争法 Art. 18: 违法经营额 is no record field: its split is listed, not dropped silently.
    d = draft("AUCL", 18)
    assert any("违法经营额五万元以上的" in n.text for n in d.range_notes)
    assert all(b.fine is None for b in d.branches)
    # 药品管理法 Art. 126: 对法定代表人、主要负责人…没收…所获收入，并处所获收入百分之十以上百分之五十以下的罚款.
    d = _agrees("DAL", 126, [("not refused_correction and not serious", None),
                             ("refused_correction and not serious", {"min": 100000, "max": 500000}),
                             ("serious", {"min": 500000, "max": 2000000})])
    assert sum(n.kind == "subject" for n in d.notes) >= 2 and not d.range_notes
    # 明码标价和禁止价格欺诈规定 Art. 24: 法律、行政法规有规定的，依照其规定；法律、行政法规没有规定的，… .
    d = _agrees("MBP", 24, [("not serious", {"min": 0, "max": 30000}), ("serious", {"min": 30000, "max": 100000})])
    assert any(n.kind == "yield" for n in d.notes)


def test_a_second_violation_in_one_paragraph_is_its_own_part():
    """食品安全法 Art. 128: "…给予警告；隐匿、伪造、毁灭有关证据的，责令停产停业，没收违法所得，并处十万元以上五十万元
    以下罚款；造成严重后果的，吊销许可证" — part 1 is the warning, part 2 the 10万–50万 fine."""
    d1 = _agrees("FSL", 128, [("true", None)])
    assert any("--sentence 2" in n.text for n in d1.range_notes)
    d2 = _agrees("FSL", 128, [("true", {"min": 100000, "max": 500000})], sentence=2)
    assert d2.id == "FSL-128-s2"
    # 道路交通安全法 Art. 91 ¶1: the second sentence (再次饮酒后驾驶) is another violation.
    d = _agrees("RTSL", 91, [("true", {"min": 1000, "max": 2000})], 1)
    assert any("--sentence 2" in n.text for n in d.range_notes)


@pytest.mark.parametrize("name", ["中华人民共和国食品安全法", "食品安全法", "《食品安全法》", "FSL", "fsl"])
def test_law_by_title_short_name_or_prefix(name, library):
    assert find_statute(name, library).title == "中华人民共和国食品安全法"


def test_unknown_law_article_and_paragraph_are_refused_in_chinese_first(library):
    with pytest.raises(InputError, match="^法规文本中没有"):
        find_statute("食品法", library)
    with pytest.raises(InputError, match="^中华人民共和国食品安全法没有第999条"):
        draft("FSL", 999, library=library)
    with pytest.raises(InputError, match="^中华人民共和国食品安全法第124条没有第9款"):
        draft("FSL", 124, 9, library=library)
    with pytest.raises(InputError, match="^条号应为数字"):
        draft("FSL", "abc", library=library)


LOCAL = """# 某市市容和环境卫生管理条例

## 第五章 法律责任

第十条 违反本条例规定，擅自在建筑物上悬挂、张贴宣传品的，由城市管理部门责令改正，处五百元以上二千元以下罚款；拒不改正的，处二千元以上一万元以下罚款。
"""


def test_a_departments_own_text(tmp_path):
    """A local regulation in the department's folder (hand-made text above): 处五百元以上二千元以下罚款；拒不改正的，
    处二千元以上一万元以下罚款."""
    (tmp_path / "某市市容条例(2020-01-01).md").write_text(LOCAL, encoding="utf-8")
    d = _agrees("某市市容条例", "第十条", [("not refused_correction", {"min": 500, "max": 2000}),
                                    ("refused_correction", {"min": 2000, "max": 10000})], law_dir=tmp_path)
    assert d.id == "某市市容条例-10"


# ───────────────────────────── the files ─────────────────────────────

def test_every_draft_is_a_loadable_provision_marked_draft(library):
    """Each draft of a penalty article of the laws in scope is a provision the loader accepts (pydantic,
    extra keys forbidden; conditions compile) and says draft: true; its cases file has the runner's shape."""
    from engine.library.coverage import SCOPE, penalty_articles
    from engine.library.draft_yaml import TO_WORK, cases_text, provision_text
    from engine.ruleset.models import Provision
    from engine.testing import CASE_KEYS, FILE_KEYS
    n = 0
    for title, prefix in SCOPE.items():
        if title not in library:
            continue
        for article in penalty_articles(library[title]):
            d = draft(prefix, article, library=library)
            data = yaml.safe_load(provision_text(d, "test"))
            model = Provision.model_validate(data)
            assert model.draft is True
            for v in model.versions:
                for b in v.branches:
                    _compile(b.when)
                for s in v.sanctions.values():
                    if s.when:
                        _compile(s.when)
            cases = yaml.safe_load(cases_text(d))
            assert set(cases) <= FILE_KEYS and cases["cases"]
            assert all(set(c) <= CASE_KEYS and c["output"] == {"status": TO_WORK} for c in cases["cases"])
            n += 1
    assert n >= 150


def test_case_skeleton_sits_on_every_boundary(library):
    """食品安全法 Art. 124 ¶1 draws one line, 一万元: the skeleton asks for 9,999.99 and 10,000."""
    from engine.library.draft_yaml import boundary_records
    recs = boundary_records(draft("FSL", 124, 1, library=library))
    assert [float(r["goods_value"]) for r in recs] == [9999.99, 10000.0]


def _lint_ready_rules(tmp_path: Path) -> Path:
    """The rules folder without the penalty provisions (others edit those while this runs): what lint
    needs (parameters, deadlines …) and nothing that could fail for reasons of its own."""
    import shutil
    dst = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", dst, ignore=shutil.ignore_patterns("*.cases.yaml"))
    shutil.rmtree(dst / "penalty")
    (dst / "penalty").mkdir()
    return dst


def test_cli_writes_both_files_and_lint_refuses_the_draft(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from cli import main
    rules = _lint_ready_rules(tmp_path)
    runner = CliRunner()
    out = rules / "penalty" / "drafts" / "FSLR-72.yaml"
    res = runner.invoke(main, ["--rules", str(rules), "rules", "draft", "食品安全法实施条例", "七十二",
                               "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and (out.parent / "FSLR-72.cases.yaml").exists()
    assert "已写入草稿" in res.output and res.output.index("已写入草稿") < res.output.index("draft written")
    text = out.read_text(encoding="utf-8")
    assert "draft: true" in text and "第72条" in text
    lint = runner.invoke(main, ["--rules", str(rules), "rules", "lint"])
    assert lint.exit_code == 1
    problems = [ln for ln in lint.output.splitlines() if ln.startswith(str(rules))]
    assert any("FSLR-72.yaml" in ln and "草稿未经审核" in ln for ln in problems), lint.output
    about_draft = [ln for ln in problems if "FSLR-72" in ln]
    assert len(about_draft) == 1, f"lint finds nothing else wrong with the draft: {about_draft}"
    test = runner.invoke(main, ["--rules", str(rules), "rules", "test"])
    assert test.exit_code == 1 and "FAIL" in test.output and "待手算" in test.output, test.output
    again = runner.invoke(main, ["--rules", str(rules), "rules", "draft", "FSLR", "72", "--out", str(out)])
    assert again.exit_code == 2 and "文件已存在" in again.output and "Traceback" not in again.output
    forced = runner.invoke(main, ["--rules", str(rules), "rules", "draft", "FSLR", "72", "--out", str(out),
                                  "--force"])
    assert forced.exit_code == 0
    monkeypatch.chdir(tmp_path)
    default = runner.invoke(main, ["--rules", str(rules), "rules", "draft", "WSL", "114"])
    assert default.exit_code == 0 and (tmp_path / "WSL-114.yaml").exists()
    laws = tmp_path / "texts"
    laws.mkdir()
    (laws / "某市市容条例(2020-01-01).md").write_text(LOCAL, encoding="utf-8")
    local = runner.invoke(main, ["rules", "draft", "某市市容条例", "十", "--law-dir", str(laws)])
    assert local.exit_code == 0, local.output
    assert "refused_correction" in (tmp_path / "某市市容条例-10.yaml").read_text(encoding="utf-8")
    bad = runner.invoke(main, ["rules", "draft", "食品法", "124"])
    assert bad.exit_code == 2 and "法规文本中没有" in bad.output and "Traceback" not in bad.output


def test_the_draft_comments_list_what_was_not_parsed(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from cli import main
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["rules", "draft", "药品管理法", "116"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "DAL-116.yaml").read_text(encoding="utf-8")
    notes = [ln for ln in text.splitlines() if ln.startswith("# 未能解析 (not parsed):")]
    assert any("按十万元计算" in ln for ln in notes)


# ───────────────────────────── sanctions (measured, not part of the agreement above) ─────────────────────

# Measured 2026-12-02 on 141 shipped provisions: 128 have the same set of sanction codes (confiscation of
# gain counted as one).  The rest are readings a reviewer made (撤销资质 / 取消检验资格 as revoke_license,
# 没收广告费用 left out, 予以关闭 left out, a later sentence's or paragraph's sanction), not formulas.
# On 187 (with 药品管理法, whose "直至" chains and approval-document revocations are readings too): 156.
# On 210 (every article; the reviewed files now code 拘留, 限制从业, 限制生产经营, 关闭 and the persons' sanctions the
# drafter leaves to the reviewer): 165, persons' branches (subject ==) left out of the comparison.
MIN_SANCTION_AGREEMENT = 0.78


def _codes(levels_or_version) -> set:
    if isinstance(levels_or_version, dict):
        v = levels_or_version
        codes = {k for k, x in (v.get("sanctions") or {}).items() if "subject ==" not in str(x.get("when", ""))}
        for b in v["branches"]:
            if "subject ==" not in str(b.get("when", "")):   # persons' branches (双罚制): not drafted
                codes |= set(b.get("sanctions") or {})
        return codes | ({"confiscate_gain"} if v.get("confiscate_gain", "none") != "none" else set())
    codes = {c for lv in levels_or_version for c in lv.sanctions}
    return codes | ({"confiscate_gain"} if any(lv.gain for lv in levels_or_version) else set())


def test_sanction_codes_of_shipped_provisions(library):
    same, differ = 0, []
    files = shipped()
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        c = data["citation"]
        m = re.search(r"-s(\d+)$", data["id"])
        d = draft(c["law"], c["article"], c.get("paragraph"), sentence=int(m.group(1)) if m else None,
                  library=library)
        version = max(data["versions"], key=lambda v: str(v["valid_from"]))
        if _codes(version) == _codes(d.levels):
            same += 1
        else:
            differ.append(f"{data['id']}: reviewed {sorted(_codes(version))} draft {sorted(_codes(d.levels))}")
    print(f"\nsanction codes: {same} of {len(files)} the same")
    assert same / len(files) >= MIN_SANCTION_AGREEMENT, "\n".join(differ)
