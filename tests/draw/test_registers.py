"""Registers: GB 32100-2015 check characters, rejected rows with row numbers, Chinese headers."""
from __future__ import annotations

import random

import pytest

from engine.draw.registers import check_char, credit_code_problems, load_registers
from engine.errors import InputError

from .helpers import make_code, write_csv

import pandas as pd

# Real codes as printed on business licences (public on 国家企业信用信息公示系统).
REAL_CODES = ["914403001922038216",   # 华为技术有限公司
              "91440300708461136T",   # 深圳市腾讯计算机系统有限公司
              "91330100716105852F",   # 阿里巴巴（中国）有限公司
              "91110108551385082Q"]   # 小米科技有限责任公司


def test_check_character_worked_by_hand():
    # 9 1 4 4 0 3 0 0 1 9 2 2 0 3 8 2 1 with weights 3^(i-1) mod 31:
    # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
    # 9 + 3 + 36 + 108 + 0 + 78 + 0 + 0 + 20 + 261 + 50 + 26 + 0 + 72 + 80 + 60 + 28 = 831
    # 831 mod 31 = 25, 31 - 25 = 6  → "6"
    assert check_char("91440300192203821") == "6"


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_pass(code):
    assert check_char(code[:17]) == code[17]
    assert credit_code_problems(pd.Series([code]))[0] == ""


def test_vectorized_check_reports_each_problem():
    good = REAL_CODES[0]
    ids = pd.Series([good, good[:-1] + "7", good[:17], "91440300I92203821" + "6", "", "９１４４０３００１９２２０３８２１６"])
    reasons = credit_code_problems(ids)
    assert reasons[0] == ""
    assert "校验位" in reasons[1] and "应为 6" in reasons[1]
    assert "18位" in reasons[2]
    assert "非法字符" in reasons[3]
    assert "为空" in reasons[4]
    assert "非法字符" in reasons[5]   # full-width digits are not the code


def _registers(tmp_path, entity_rows, inspector_rows=None, conflict_rows=(), ent_header=None, encoding="utf-8"):
    e = write_csv(tmp_path / "e.csv", ent_header or ["entity_id", "name", "district", "industry",
                                                    "credit_class", "status"], entity_rows, encoding)
    i = write_csv(tmp_path / "i.csv", ["inspector_id", "name", "department", "qualifications", "active", "max_load"],
                  inspector_rows or [["ZF001", "张三", "一科", "X", "是", 5]])
    c = write_csv(tmp_path / "c.csv", ["inspector_id", "entity_id", "reason"], conflict_rows)
    return load_registers(e, i, c)


def test_every_row_is_used_or_rejected_with_row_number(tmp_path):
    rng = random.Random(1)
    codes = [make_code(rng) for _ in range(6)]
    rows = [[codes[0], "甲", "东城", "餐饮", "A", "存续"],
            [codes[1][:-1] + ("0" if codes[1][-1] != "0" else "1"), "乙", "东城", "餐饮", "B", "存续"],  # row 3
            [codes[2], "丙", "东城", "餐饮", "E", "存续"],                                                 # row 4
            [codes[3], "丁", "东城", "餐饮", "b", "注销"],                                                 # lower case class is fine
            [codes[4], "戊", "东城", "餐饮", "C", "存续"],                                                 # row 6, dup
            [codes[4], "己", "西城", "餐饮", "C", "存续"],                                                 # row 7, dup
            [codes[5], "庚", "西城", "零售", "D", ""]]
    regs = _registers(tmp_path, rows)
    rej = {r["row"]: r["reason"] for r in regs.rejected.rows if r["kind"] == "entities"}
    assert set(rej) == {3, 4, 6, 7}
    assert "校验位" in rej[3] and "A/B/C/D" in rej[4] and "重复" in rej[6] and "重复" in rej[7]
    assert regs.counts["entities"] == {"rows": 7, "used": 3, "rejected": 4}
    assert sorted(regs.entities["__row__"].tolist()) == [2, 5, 8]
    assert regs.entities.set_index("entity_id").loc[codes[3], "credit_class"] == "B"


def test_chinese_headers_and_gb18030(tmp_path):
    rng = random.Random(2)
    code = make_code(rng)
    regs = _registers(tmp_path, [[code, "示例餐馆", "东城", "餐饮", "A", "在业"]],
                      ent_header=["统一社会信用代码", "主体名称", "所在区域", "行业", "信用风险分类", "登记状态"],
                      encoding="gb18030")
    row = regs.entities.iloc[0]
    assert (row["entity_id"], row["name"], row["industry"], row["status"]) == (code, "示例餐馆", "餐饮", "在业")


def test_missing_column_is_an_input_error_naming_the_chinese_alias(tmp_path):
    e = write_csv(tmp_path / "e.csv", ["entity_id", "name", "status"], [])
    i = write_csv(tmp_path / "i.csv", ["inspector_id", "name", "qualifications", "active", "max_load"], [])
    c = write_csv(tmp_path / "c.csv", ["inspector_id", "entity_id"], [])
    with pytest.raises(InputError, match="credit_class.*信用风险分类"):
        load_registers(e, i, c)


def test_inspector_and_conflict_rows(tmp_path):
    rng = random.Random(3)
    code = make_code(rng)
    regs = _registers(
        tmp_path, [[code, "甲", "东城", "餐饮", "A", "存续"]],
        inspector_rows=[["ZF001", "张三", "一科", "X；Y、Z", "是", 5],
                        ["ZF002", "李四", "一科", "X", "也许", 5],      # row 3: active unreadable
                        ["ZF003", "王五", "一科", "X", "否", "2.5"],    # row 4: max_load not whole
                        ["ZF004", "赵六", "一科", "X", "false", 0],
                        ["ZF004", "钱七", "一科", "X", "true", 1]],     # rows 5, 6: duplicate id
        conflict_rows=[["ZF001", code, "近亲属"], ["ZF999", code, "x"], ["ZF001", "NOPE", "y"]])
    rej = {(r["kind"], r["row"]): r["reason"] for r in regs.rejected.rows}
    assert set(rej) == {("inspectors", 3), ("inspectors", 4), ("inspectors", 5), ("inspectors", 6),
                        ("conflicts", 3), ("conflicts", 4)}
    assert regs.inspectors["qualifications"].tolist() == [";X;Y;Z;"]
    assert regs.conflicts == {("ZF001", code)}
    assert regs.counts["conflicts"] == {"rows": 3, "used": 1, "rejected": 2}
