"""Identity numbers are masked in what is published (个人信息保护法 Arts. 28, 51); codes that are not
identity numbers are left alone.  The check character is worked by hand (GB 11643-1999, ISO 7064
MOD 11-2) for the standard's example 11010519491231002X: Σ digit·weight = 167, 167 mod 11 = 2 → 'X'."""
from __future__ import annotations

import pandas as pd

from engine.targets.masking import is_id_number, mask_frame, mask_text


def test_identity_number_check():
    assert is_id_number("11010519491231002X")
    assert not is_id_number("110105194912310021")     # wrong check character
    assert not is_id_number("110105194913310028")     # no 13th month


def test_mask_keeps_region_and_last_four():
    assert mask_text("张三 11010519491231002X 经营") == "张三 110105********002X 经营"
    assert mask_text("110105194912310021") == "110105194912310021"
    assert mask_text("91110105MA0000001X") == "91110105MA0000001X"


def test_mask_frame_masks_a_citizen_id_even_as_the_entity_code():
    """A sole trader registered under a citizen identity number is published masked (个人信息保护法 Art. 28);
    a unified social credit code is no identity number and stays."""
    f = pd.DataFrame({"entity_id": ["11010519491231002X", "91110105MA0000001X"],
                      "name": ["某店（11010519491231002X）", "某公司"], "n": [1, 2]})
    out = mask_frame(f)
    assert out["entity_id"].tolist() == ["110105********002X", "91110105MA0000001X"]
    assert out["name"][0] == "某店（110105********002X）"
