"""draw.json serialization: the fast record writer must give exactly json.dumps' bytes."""
from __future__ import annotations

import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.draw.document import _assignment, _record, _selection, dumps, first_difference

flat = st.dictionaries(st.text(max_size=8),
                       st.one_of(st.text(max_size=12), st.integers(-10**20, 10**20), st.booleans(), st.none(),
                                 st.lists(st.text(max_size=6), max_size=4),
                                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
                       max_size=6)


@settings(max_examples=300, deadline=None)
@given(flat)
def test_record_equals_json_dumps(d):
    assert _record(d, {}) == json.dumps(d, ensure_ascii=False, separators=(", ", ": "))


def test_dumps_round_trips_and_diffs():
    doc = {"a": 1, "s": "种子\"x\"", "l": [{"item_id": "X", "rank": 1, "inspectors": ["A", "B"]}], "d": {"k": None}}
    assert json.loads(dumps(doc)) == doc
    other = json.loads(dumps(doc))
    other["l"][0]["inspectors"] = ["A", "C"]
    assert first_difference(doc, other) == '.l[0].inspectors[1]: recomputed "B", file has "C"'


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=10), st.text(max_size=3), st.integers(0, 10**6), st.text(max_size=20), st.text(max_size=22),
       st.lists(st.text(max_size=12), max_size=3))
def test_selection_and_assignment_writers_equal_json_dumps(item, cls, rank, eid, ticket, team):
    sel = {"item_id": item, "credit_class": cls, "rank": rank, "entity_id": eid, "ticket": ticket}
    asg = {"item_id": item, "entity_id": eid, "inspectors": team, "tickets": [ticket] * len(team)}
    for writer, d in ((_selection, sel), (_assignment, asg)):
        assert writer(d, {}) == json.dumps(d, ensure_ascii=False, separators=(", ", ": "))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["FOOD-01", "食品-01", 'a"b']), st.sampled_from("ABCD"),
                          st.integers(1, 10**6), st.text(max_size=18), st.text(max_size=20),
                          st.lists(st.text(max_size=8), max_size=3)), min_size=1, max_size=8))
def test_fast_column_writer_equals_json_dumps(rows):
    sel = [{"item_id": a, "credit_class": b, "rank": r, "entity_id": e, "ticket": t} for a, b, r, e, t, _ in rows]
    asg = [{"item_id": a, "entity_id": e, "inspectors": team, "tickets": [t] * len(team)}
           for a, _, _, e, t, team in rows]
    doc = {"selections": sel, "assignments": asg}
    want = "{\n" + ",\n".join(
        f'"{k}": [\n' + ",\n".join("  " + json.dumps(x, ensure_ascii=False, separators=(", ", ": ")) for x in v)
        + "\n]" for k, v in doc.items()) + "\n}\n"
    assert dumps(doc).decode("utf-8") == want


def _shape_fields(spec, path=()):
    from engine.draw.document import _Nullable
    if isinstance(spec, _Nullable):
        spec = spec.inner
    if isinstance(spec, dict):
        for k, sub in spec.items():
            yield from _shape_fields(sub, path + (k,))
    elif isinstance(spec, list) and isinstance(spec[0], dict):
        yield from _shape_fields(spec[0], path)
    else:
        yield path


def test_verify_says_how_every_field_of_the_shape_is_checked():
    from engine.draw.document import SHAPE, VERIFIED
    named = [f for _, _, _, fields in VERIFIED for f in fields]
    assert len(named) == len(set(named))
    for path in _shape_fields(SHAPE):
        names = list(path)
        if names[0] == "inputs":
            names[1] = "*"
        assert any(".".join(names[:i]) in named for i in range(1, len(names) + 1)), path


def test_seal_appends_one_line_to_the_unsealed_bytes():
    from engine.draw.document import RECORD, seal, unsealed
    doc = {"a": 1, "s": "种子", "l": [{"x": "y"}], "d": {"k": None}}
    data = seal(doc)
    assert list(doc)[-1] == RECORD and data == dumps(doc)
    assert data.startswith(unsealed(doc)[:-3])
    assert json.loads(data)[RECORD] == hashlib.sha256(unsealed(doc)).hexdigest()
