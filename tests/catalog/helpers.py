"""Small builders for catalogue rows (canonical English headers) and a one-call audit."""
import datetime as dt

import pandas as pd

from engine.catalog.audit import audit_catalog

AS_OF = dt.date(2024, 12, 31)
BASE = {"item_code": "XK-1", "item_name": "测试许可", "item_type": "行政许可", "department": "市场监管局",
        "basis_level": "法律", "basis_citation": "某法第一条", "basis_date": "2015-10-01",
        # the yes/no columns must be present (blank cells read 否)
        "enterprise_autonomy": "", "resolvable_by_consultation": "", "is_intermediary": "",
        "intermediary_mandatory": "", "designated_intermediary": "", "special_need": ""}


def item(**kw):
    return {**BASE, **kw}


def pre(code, **kw):
    return {**BASE, "precondition_code": code, "precondition_name": f"前置条件{code}", **kw}


def mid(code, **kw):
    return {**BASE, "precondition_code": code, "precondition_name": f"中介服务{code}", "is_intermediary": "是", **kw}


def judge(rows, as_of=AS_OF, rules_dir=None):
    raw = pd.DataFrame(rows).astype(object)
    raw["__row__"] = range(2, 2 + len(raw))
    return audit_catalog(raw, as_of, rules_dir)


def row_of(result, precondition_code=None, item_code="XK-1") -> dict:
    r = result.rows
    m = (r["item_code"] == item_code) & (r["precondition_code"].isna() if precondition_code is None
                                         else r["precondition_code"] == precondition_code)
    found = r[m]
    assert len(found) == 1, f"expected one judged row for {item_code}/{precondition_code}, found {len(found)}"
    return found.iloc[0].to_dict()


def cites(row, law, article=None, paragraph=None, item=None, document=None) -> bool:
    """Does the row cite this provision (the given keys match)?"""
    for c in row["citations"]:
        if c["law"] != law:
            continue
        if document is not None and c.get("document") != document:
            continue
        if article is not None and c.get("article") != article:
            continue
        if paragraph is not None and c.get("paragraph") != paragraph:
            continue
        if item is not None and c.get("item") != item:
            continue
        return True
    return False


XKF = "中华人民共和国行政许可法"
GB59 = "国办发〔2014〕59号"
GB59_TITLE = "国务院办公厅关于印发精简审批事项规范中介服务实行企业投资项目网上并联核准制度工作方案的通知"
YS = "优化营商环境条例"
