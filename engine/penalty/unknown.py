"""Which facts of a penalty record are unknown, and what a record's own words already settle.

A blank cell is an unknown fact, not zero and not false (issue 16 §1): the
evaluation then keeps every alternative the blank leaves open
(engine.penalty.alternatives).  Two kinds of field are not facts of that sort:
the lists a decision states about itself (``factors``, the grounds it records,
行政处罚法 Arts. 44 and 59; ``sanctions``, what it imposes) mean "none" when
empty, and ``extension_approved`` is the department's own act recorded when
granted (Art. 60: 经行政机关负责人批准可以延长), so a blank is "none recorded" —
but a file without that column at all (a published decision rarely says) leaves
the extension open, and a late decision is then only a possible finding.

Where ``party_type`` is blank, the unified social credit code decides it when it
can (GB 32100-2015 §4: the first character is the registration authority, the
second the kind of entity): 个体工商户 (``92``) counts as a natural person
for the hearing and simple-procedure thresholds only as the cited parameter
``individual_business_counts_as`` says.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

# GB 32100-2015: 18 characters from 0-9 and A-Z without I, O, Z, S, V; first the registration authority
# (9 = 工商/市场监管), then the kind (1 企业, 2 个体工商户, 3 农民专业合作社).
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# GB 11643-1999 citizen identity number: 6-digit area, 8-digit birth date, 3-digit sequence, check digit
_CITIZEN_ID = re.compile(r"^\d{6}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dXx]$")


def party_type_from_id(party_id: pd.Series, individual_business: str) -> np.ndarray:
    """Party type read from the party's identity number where it tells: object array of
    ``individual`` / ``organization`` / None.

    ``individual_business``: how a 个体工商户 (``92…``) counts (a parameter).
    """
    text = party_id.astype("string").str.strip().str.upper()
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    table = []
    for u in uniques:
        u = str(u)
        if _CITIZEN_ID.match(u):
            table.append("individual")
        elif _USCC.match(u):
            if u.startswith("92"):
                table.append(individual_business)
            else:
                table.append("organization")
        else:
            table.append(None)
    return np.array(table + [None], dtype=object)[codes]
