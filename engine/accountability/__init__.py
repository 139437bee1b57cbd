"""问责建议 (accountability recommendations) from review output: ``zhunsheng accountability``.

One module per job:

    model.py     rule-file models (pydantic, extra='forbid'): parameters, ladder, triggers
    loader.py    rules/accountability/*.yaml → compiled rules; every mistake as file:line: reason
    inputs.py    review folders (findings.jsonl, cases.jsonl), de-duplicated
    people.py    roster and exemptions (容错免责): every row used or rejected with its row number
    triggers.py  counting, 一案双查, ranking, 从重 — pandas groupby, never a loop per finding
    notices.py   notices.jsonl, summary.json, exemptions.csv, rejected.csv and the Excel workbook
    run.py       the one entry point the command calls
    commands.py  the click command

Notices are recommendations to the legal-affairs office (法制部门), never sanctions.
"""

RECOMMENDATION_ZH = "问责建议仅供法制部门审核，不自动产生处分"
RECOMMENDATION_EN = ("Recommendations to the legal-affairs office for review only; "
                     "no sanction is imposed automatically.")
