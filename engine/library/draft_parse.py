"""Penalty wording → branches: the reading half of ``rules draft``.

Why a reader of phrases and not a grammar of the whole statute: penalty articles are written in a small,
stable set of formulas (行政处罚法 Art. 9's sanctions, "处…以上…以下罚款", "货值金额不足…的", "拒不改正的",
"情节严重的"), strung together with commas and semicolons.  A formula the reader knows becomes a fine range
or a condition over the record fields of ``engine/records/schema.py``; anything else becomes a *note*
that the draft prints under ``# 未能解析`` so that a person decides it.  The reader never guesses: a
condition it does not know turns the penalties after it into a note, not a branch.

How the phrases combine (the reviewed provisions read them the same way):

- A condition that escalates — 拒不改正/逾期未改正 (``refused_correction``), 情节严重 (``serious``), 造成严重后果
  (``harm == 'serious'``) — opens a *level*.  A later level that sets a fine replaces the fines of the
  levels before it (食品安全法实施条例 Art. 72: "拒不改正的，处1万元以上5万元以下罚款；情节严重的，…并处5万元以上
  20万元以下罚款" gives three branches); a level without a fine only adds sanctions under its condition.
- A condition that splits the amount — 货值金额不足一万元的 / 一万元以上的, 违法所得…, 广告费用无法计算或者明显偏低的,
  对单位 / 对个人, 发生一般事故的 — is a *partition* inside the level; a fine written without one takes the
  rest of the level (广告法 Art. 55: "处广告费用三倍以上五倍以下的罚款，广告费用无法计算或者明显偏低的，处二十万元…").
- Numerals go through ``cn2an`` (``engine.library.statutes.cn_number``'s converter).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from engine.library.statutes import cn_number

# ───────────────────────────── numbers ─────────────────────────────

_A = r"[0-9０-９.零〇一二两三四五六七八九十百千万亿]+"           # an amount as written
_M = rf"(?:{_A}倍|等值|百分之{_A}|{_A}%)"                        # a multiple as written


def amount(text: str) -> Decimal:
    """``五万`` → 50000, ``1万`` → 10000, ``5000`` → 5000: through cn2an, which reads mixed forms."""
    text = text.translate({ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"})
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return Decimal(text)
    import cn2an
    try:
        return Decimal(str(cn2an.cn2an(text.replace("〇", "零"), "smart")))
    except (ValueError, KeyError, TypeError):
        return Decimal(cn_number(text))


def multiple(text: str) -> Decimal:
    """``十倍`` → 10, ``等值`` → 1 (产品质量法 Art. 49 "货值金额等值以上三倍以下"), ``百分之五十`` → 0.5."""
    if text in ("等值", "等额"):
        return Decimal(1)
    m = re.fullmatch(rf"百分之({_A})", text) or re.fullmatch(rf"({_A})%", text)
    if m:
        return amount(m.group(1)) / 100
    return amount(text.removesuffix("倍"))


# ───────────────────────────── results ─────────────────────────────

@dataclass(frozen=True)
class FineRange:
    """A fine in yuan (``base`` None) or in multiples of a record field; ``optional`` is 可以处."""
    lo: Decimal
    hi: Decimal
    base: str | None = None
    alternative: str | None = None     # "warning": 处警告或者…罚款
    optional: bool = False

    def as_dict(self) -> dict:
        def num(v: Decimal):
            return int(v) if v == v.to_integral_value() else float(v)
        if self.base:
            d = {"base": self.base, "min_multiple": num(self.lo), "max_multiple": num(self.hi)}
        else:
            d = {"min": num(self.lo), "max": num(self.hi)}
        if self.alternative:
            d["alternative"] = self.alternative
        return d


@dataclass(frozen=True)
class Note:
    """Something the text says that the draft does not encode.  ``kind``: ``range`` (it bears on the fine
    or its conditions: a reviewer must look before trusting the branches), ``subject`` (penalties on
    responsible persons), ``sanction`` (a sanction without a code: 拘留, 暂扣, 撤销…), ``outside`` (not an
    administrative penalty of this authority: 刑事责任, 治安管理处罚, 赔偿), ``paragraph`` (another paragraph)."""
    kind: str
    text: str


@dataclass
class Level:
    when: str | None                               # the escalating condition; None for the first level
    fines: list[tuple[str | None, FineRange]] = field(default_factory=list)   # (partition, fine)
    derived: tuple[Decimal, Decimal] | None = None  # "按照前款罚款数额的二倍以上五倍以下"
    sanctions: dict[str, str] = field(default_factory=dict)                   # code -> mandatory/permitted
    gain: str | None = None                        # 没收违法所得: mandatory / permitted


@dataclass
class Reading:
    levels: list[Level]
    notes: list[Note]


# ───────────────────────────── conditions ─────────────────────────────

_BASES = {"货值金额": "goods_value", "违法所得": "illegal_gain", "广告费用": "ad_fee", "上一年年收入": "prior_year_income"}
_BASE_WORDS = "|".join(_BASES)
_ACCIDENTS = ("特别重大", "较大", "重大", "一般")

ESCALATE, PARTITION, IGNORE, NOOP, UNKNOWN = "escalate", "partition", "ignore", "noop", "unknown"
# A threshold on an amount the record does not hold (违法经营额五万元以上的): a partition left unparsed.
_AMOUNT_THRESHOLD = re.compile(rf"(?:{_A}元|{_M})(?:以上|以下)的$|不足{_A}元的$|没有[^，；]*额的$")

_ESCALATIONS = [
    (re.compile(r"两年内有三次以上违法行为或者有其他严重情节的"), "prior_violations_2y >= 3 or serious"),
    (re.compile(r".{0,14}?(?:拒不|逾期未|逾期不|仍不)(?:改正|执行|停止经营或者改正|停止违法行为)的"), "refused_correction"),
    (re.compile(r"(?:有其他)?(?:严重情节|情节(?:特别)?严重)(?:、影响特别恶劣)?的"), "serious"),
    (re.compile(r"造成严重后果的"), "harm == 'serious'"),
]
# Conditions whose consequence is not this authority's administrative penalty (criminal, civil, another
# body's): what follows them until the next condition is left out and said so.
_OUTSIDE = re.compile(r"构成犯罪|治安管理|走私|损害|连带|赔偿|本法另有规定|法律、行政法规有规定")
_NOOP = re.compile(r"^(?:尚不构成犯罪的|有违法所得的)$")
# Yielding to special law (消费者权益保护法 Art. 56, 明码标价和禁止价格欺诈规定 Art. 24): "…另有规定的 / 有规定的"
# hands the case to that law (what follows is not this provision's); "…没有规定的 / 未作规定的" keeps it.
YIELD_ELSEWHERE, YIELD_HERE = "yield_elsewhere", "yield_here"
_YIELD_HERE = re.compile(r"(?:法律|法规|行政法规)[^，；]*(?:没有|未作)规定的$")
_YIELD_ELSEWHERE = re.compile(r"(?:另有规定|(?:法律|法规|行政法规)[^，；]*有规定)的$")


def condition(phrase: str) -> tuple[str, str | None]:
    """A condition phrase ("…的") as (how it acts, expression)."""
    p = phrase
    if _NOOP.match(p):
        return NOOP, None
    if _YIELD_HERE.search(p):
        return YIELD_HERE, None
    if _YIELD_ELSEWHERE.search(p):
        return YIELD_ELSEWHERE, None
    for rx, expr in _ESCALATIONS:
        if rx.fullmatch(p):
            return ESCALATE, expr
    m = re.fullmatch(rf".*?发生({'|'.join(_ACCIDENTS)})事故的", p)
    if m:
        return PARTITION, f"accident_level == '{m.group(1)}'"
    if re.fullmatch(r".*?广告费用无法计算或者明显偏低的", p):
        return PARTITION, "ad_fee_uncomputable"
    if p == "没有违法所得的":
        return PARTITION, "illegal_gain == 0"
    m = re.fullmatch(rf"(?:没有违法所得或者)?.*?({_BASE_WORDS})(?:在)?不足({_A})元的", p)
    if m:
        return PARTITION, f"{_BASES[m.group(1)]} < {_num(amount(m.group(2)))}"
    m = re.fullmatch(rf".*?({_BASE_WORDS})(?:在)?({_A})元以上的", p)
    if m:
        return PARTITION, f"{_BASES[m.group(1)]} >= {_num(amount(m.group(2)))}"
    if _OUTSIDE.search(p):
        return IGNORE, None
    return UNKNOWN, None


def _num(v: Decimal) -> str:
    return str(int(v)) if v == v.to_integral_value() else str(v.normalize())


# ───────────────────────────── actions ─────────────────────────────

_RESPONSIBLE = re.compile(r"对(?:其)?(?:[^，；]*?)(?:直接负责的主管人员|直接责任人员|主要负责人|投资人|法定代表人)")
_FINE_PATTERNS = [
    ("derived", re.compile(rf"按照前款罚款数额的(?P<lo>{_M})以上(?P<hi>{_M})以下")),
    ("mrange", re.compile(rf"(?P<pre>[^处]*?)(?P<lo>{_M})(?:以上|至)(?P<hi>{_M})(?:以下)?的?罚款")),
    ("mmax", re.compile(rf"(?P<pre>[^处]*?)(?P<hi>{_M})以下的?罚款")),
    ("mfixed", re.compile(rf"(?P<pre>[^处]*?)(?P<v>百分之{_A}|{_A}%|等额)的?罚款")),
    ("yrange", re.compile(rf"(?P<pre>[^处]*?)(?P<lo>{_A})元?(?:以上|至)(?P<hi>{_A})元(?:以下)?的?罚款")),
    ("ymax", re.compile(rf"(?P<pre>[^处]*?)(?P<hi>{_A})元以下的?罚款")),
    ("yfixed", re.compile(rf"(?P<pre>[^处]*?)(?P<v>{_A})元的?罚款")),
]
_SANCTIONS = [
    (re.compile(r"(?<!口头)警告(?!标志|信号|灯)"), "warning"),
    (re.compile(r"(?<!被)吊销(?:[^，；]*?)?(?:营业执照|执照)"), "revoke_business_license"),
    (re.compile(r"(?<!被)吊销(?:[^，；]*?)?(?:许可证|驾驶证|资质证书|资质|资格)"), "revoke_license"),
    (re.compile(r"予以收缴"), "confiscate_goods"),
    (re.compile(r"责令(?:[^，；]*?)?(?:停产|停业|停工)|停产整治|停业整治|停工整治"), "suspend"),
    # 行政处罚法 Art. 9's other kinds
    (re.compile(r"责令(?:[^，；]*?)?关闭|予以关闭|停业、关闭"), "close"),
    (re.compile(r"通报批评"), "notice_criticism"),
    (re.compile(r"暂扣(?:[^，；]*?)?(?:许可证|执照|驾驶证|证件|资格证)"), "suspend_license"),
    (re.compile(r"降低资质等级"), "downgrade_qualification"),
    (re.compile(r"限制开展生产经营活动|限制生产"), "restrict_business"),
    (re.compile(r"限制从业|禁止(?:其)?(?:[^，；]*?)从事[^，；]*?(?:活动|工作)"), "bar_from_trade"),
    (re.compile(r"行政拘留|日以下(?:的)?拘留"), "detention"),
]
_UNCODED = re.compile(r"撤销|取消[^，；]*资格|不得[^，；]*(?:申请|从事|取得|受理)|禁入|暂停[^，；]*业务|停止生产该车型")
_CROSS = re.compile(r"(?:依照|按照)(?![^，；]*(?:罚款数额|下列规定))[^，；]*?规定[^，；]*?(?:处罚|处理|处以罚款)|依法予以处罚|依法给予处罚")
_FLOOR = re.compile(rf"按({_A})元计算")
_DAILY = re.compile(r"按日连续处罚")


def is_action(piece: str) -> bool:
    return bool(any(rx.search(piece) for _, rx in _FINE_PATTERNS) or "没收" in piece
                or any(rx.search(piece) for rx, _ in _SANCTIONS) or _UNCODED.search(piece)
                or _CROSS.search(piece) or _FLOOR.search(piece) or _DAILY.search(piece) or re.search(r"处(?:以)?罚款", piece))


def fine_in(piece: str) -> tuple[str, FineRange | tuple[Decimal, Decimal]] | tuple[None, str] | None:
    """The fine a piece imposes: ("fine", FineRange), ("derived", (lo, hi)), (None, why-not) or None."""
    for kind, rx in _FINE_PATTERNS:
        m = rx.search(piece)
        if not m:
            continue
        if kind == "derived":
            return "derived", (multiple(m.group("lo")), multiple(m.group("hi")))
        start = m.end("pre")
        before = piece[:start]
        since = before[before.rfind("处"):] if "处" in before else before
        if "每" in since:
            return None, f"按单位计的罚款 (a fine per unit): {piece}"
        optional = bool(re.search(r"可以(?:并)?处$", before[: before.rfind("处") + 1])) if "处" in before else False
        alternative = "warning" if "警告或者" in before else None
        if kind.startswith("m"):
            words = re.findall(_BASE_WORDS, before)
            if not words:
                return None, f"倍数罚款的基数不是记录字段 (the base of a multiple is no record field): {piece}"
            base = _BASES[words[-1]]
            if kind == "mrange":
                lo, hi = multiple(m.group("lo")), multiple(m.group("hi"))
            elif kind == "mmax":
                lo, hi = Decimal(0), multiple(m.group("hi"))
            else:
                lo = hi = multiple(m.group("v"))
            return "fine", FineRange(lo, hi, base, alternative, optional)
        if kind == "yrange":
            lo, hi = amount(m.group("lo")), amount(m.group("hi"))
        elif kind == "ymax":
            lo, hi = Decimal(0), amount(m.group("hi"))
        else:
            lo = hi = amount(m.group("v"))
        return "fine", FineRange(lo, hi, None, alternative, optional)
    return None


# ───────────────────────────── the walk ─────────────────────────────

def _strip(text: str) -> str:
    """Parentheticals out ("（包括已售出和未售出的产品，下同）" holds a comma), a condition glued to its
    action split off ("情节较重的处100万元…")."""
    text = re.sub(r"（[^（）]*）|\([^()]*\)", "", text)          # an item's "（一）" goes with them
    return re.sub(r"(情节较重的|情节严重的)(?=[处并责吊没给])", r"\1，", text)


def clauses(text: str) -> list[list[str]]:
    out = []
    for clause in re.split(r"[；;。]", _strip(text)):
        pieces = [p.strip() for p in re.split(r"[，,:：]", clause) if p.strip()]
        if pieces:
            out.append(pieces)
    return out


def _opens_unknown(clause: list[str]) -> bool:
    """Whether a clause opens, before its first action, with a condition the reader does not know."""
    pending = []
    for piece in clause:
        if is_action(piece):
            return False
        pending.append(piece)
        if piece.endswith("的"):
            phrase = "".join(pending)
            return (condition(piece)[0] == UNKNOWN and condition(phrase)[0] == UNKNOWN
                    and not _AMOUNT_THRESHOLD.search(phrase))
    return False


def parts(text: str) -> list[list[list[str]]]:
    """The text's clauses grouped into parts.  A clause that opens with a condition the reader does not
    know and then penalises, after a part that penalised already, describes another violation or an
    aggravation the record cannot tell (食品安全法 Art. 128: "…给予警告；隐匿、伪造、毁灭有关证据的，责令停产
    停业…"): it starts a part of its own, drafted alone with ``--sentence`` (ids ending ``-s2``)."""
    out: list[list[list[str]]] = []
    for clause in clauses(text):
        penalised = bool(out) and any(is_action(p) for c in out[-1] for p in c)
        if not out or (penalised and _opens_unknown(clause) and any(is_action(p) for p in clause)):
            out.append([])
        out[-1].append(clause)
    return out


class Reader:
    """Walks the pieces of one or more paragraphs, keeping the level and partition in force."""

    def __init__(self):
        self.levels = [Level(None)]
        self.notes: list[Note] = []
        self.level = self.levels[0]

    def finish(self) -> Reading:
        """"对单位处…" with no "对个人" beside it names the unit, not a split by party type (药品管理法
        Art. 138: the unit's fine, then its persons')."""
        for lv in self.levels:
            keys = {p for p, _ in lv.fines}
            party = {k for k in keys if k and "party_type" in k}
            if len(party) == 1 and keys == party:
                lv.fines = [(None, f) for _, f in lv.fines]
        return Reading(self.levels, self.notes)

    def note(self, kind: str, text: str):
        n = Note(kind, text)
        if n not in self.notes:
            self.notes.append(n)

    def _level_for(self, expr: str) -> Level:
        for lv in self.levels:
            if lv.when == expr:
                return lv
        lv = Level(expr)
        self.levels.append(lv)
        return lv

    def read(self, text: str, partition: str | None = None):
        """One paragraph or item (all of its parts)."""
        self.read_clauses(clauses(text), partition)

    def read_clauses(self, clause_list: list[list[str]], partition: str | None = None):
        started = False
        scope = "normal"
        self.level = self.levels[0]
        part = partition
        for clause in clause_list:
            pending: list[str] = []
            subject = ""                            # "对…": whom the actions after it penalise
            if clause[0].startswith("对"):          # a new subject: back to the first level
                scope, self.level, part = "normal", self.levels[0], partition
            for piece in clause:
                if piece.endswith("的") and not is_action(piece):
                    phrase = "".join(pending + [piece])
                    pending, subject = [], ""
                    how, expr = condition(piece)
                    if how == UNKNOWN:
                        how, expr = condition(phrase)
                    if how == ESCALATE:
                        self.level, part, scope = self._level_for(expr), partition, "normal"
                    elif how == PARTITION:
                        part, scope = expr, "normal"
                    elif how in (YIELD_HERE, YIELD_ELSEWHERE):
                        self.note("yield", f"适用让位于其他法律、法规 (yields to another law where it provides): {phrase}")
                        scope = "outside" if how == YIELD_ELSEWHERE else "normal"
                    elif how == IGNORE and started:
                        scope = "outside"
                        self.note("outside", phrase)
                    elif how == UNKNOWN and started:
                        scope = "unknown"
                        self.note("range", f"条件未能解析 (condition not parsed): {phrase}")
                    continue
                if not is_action(piece):
                    pending.append(piece)
                    continue
                for k, said in enumerate(pending + [piece]):
                    m = re.search(r"对(?!于)", said)
                    if m and (m.start() == 0 or re.fullmatch(r"(?:并|可以|并可以|由[^，；对]*)", said[:m.start()])):
                        subject = "".join((pending + [piece])[k:])[m.start():]
                pending = []
                started = True
                if scope == "outside":
                    continue
                if scope == "unknown":
                    self.note("range", f"  其后的处罚 (penalty under it): {piece}")
                    continue
                self._act(piece, subject, part)

    def _act(self, piece: str, subject: str, part: str | None):
        lv = self.level
        if _RESPONSIBLE.search(subject) or _RESPONSIBLE.search(piece):
            self.note("subject", f"责任人员处罚 (penalty on responsible persons): {piece}")
            return
        if _DAILY.search(piece):
            self.note("range", f"按日连续处罚 (daily penalty): {piece}")
        if _FLOOR.search(piece):
            self.note("range", f"计算基数的下限 (a floor on the base): {piece}")
        if _CROSS.search(piece):
            self.note("range", f"援引其他条款的处罚 (penalty by cross-reference): {piece}")
        party = None
        m = re.match(r"^对(单位|个人)(?:可以)?(?:并)?处", subject)
        if m:
            party = "party_type == 'organization'" if m.group(1) == "单位" else "party_type == 'individual'"
        found = fine_in(piece)
        if not found and "罚款" in piece and not re.search(r"下列规定|罚款处罚|罚款数额", piece):
            self.note("range", f"罚款未写幅度 (a fine without a range in the text): {piece}")
        if found:
            kind, value = found
            if kind is None:
                self.note("range", value)
            elif kind == "derived":
                lv.derived = value
            else:
                key = " and ".join(p for p in (part, party) if p) or None
                same = [f for p, f in lv.fines if p == key]
                if same and same[0] != value:
                    self.note("range", f"同一条件下第二个罚款幅度 (a second fine range under one condition): {piece}")
                elif not same:
                    lv.fines.append((key, value))
        permitted = "可以" in piece or "直至" in piece or piece.startswith("或者")
        if "没收" in piece:
            target = piece[piece.index("没收") + 2:]
            if re.search(r"违法所得|违法收入", target):          # 违法收入: the gain under another name
                lv.gain = "permitted" if permitted and lv.gain != "mandatory" else "mandatory"
            if "广告费用" in target:                              # money with no amount column
                self.note("sanction", f"没收广告费用无对应数额字段 (no amount column for it): {piece}")
            if re.sub(r"违法所得|违法收入|广告费用|和|、", "", target) or not target:   # "应当予以没收": the things named before
                _put(lv.sanctions, "confiscate_goods", "permitted" if permitted else "mandatory")
        for rx, code in _SANCTIONS:
            if rx.search(piece):
                _put(lv.sanctions, code, "permitted" if permitted else "mandatory")
                if piece.startswith("或者"):
                    for other in lv.sanctions:
                        lv.sanctions[other] = "permitted"
        um = _UNCODED.search(piece)
        if um:
            self.note("sanction", f"无对应处罚代码 (no sanction code for it): {piece}")


def _put(sanctions: dict, code: str, mode: str):
    if sanctions.get(code) != "mandatory":
        sanctions[code] = mode
