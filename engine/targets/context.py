"""The dates a run's rules are judged by, worked out from ``--as-of`` and the statute.

企业信息公示暂行条例 Art. 8: a year's annual report is filed "于每年1月1日至6月30日" of the next year.
Art. 17 ¶1 (一): an enterprise that has not filed within that period is listed in the 经营异常名录; the
statute gives no later day for it, so the listing date reported is the first day the enterprise is in
default — 1 July of the next year (a report for 2025 filed on 2026-06-30 is on time; not filed by then,
the enterprise is listable from 2026-07-01).  Art. 17 ¶2: removed once it files; listed 满3年 without
filing, it goes on the 严重违法企业名单.  满3年 is read as the civil-law period (民法典 Arts. 201–202: the
listing day is not counted, the period ends on the corresponding day three years later), so the serious
list is reached the day after that: listed 2026-07-01, serious from 2029-07-02 (a reading, tag C).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd


def deadline(year: int, month_day: str) -> dt.date:
    """The last day to file the report for ``year`` (in the next year)."""
    m, d = (int(x) for x in month_day.split("-"))
    return dt.date(year + 1, m, d)


def last_due_year(as_of: dt.date, month_day: str) -> int:
    """The latest report year whose filing period has ended before ``as_of``."""
    year = as_of.year - 1
    while deadline(year, month_day) >= as_of:
        year -= 1
    return year


def report_constants(year: int, month_day: str, serious_years: int) -> dict:
    due = deadline(year, month_day)
    listed = due + dt.timedelta(days=1)
    serious = (pd.Timestamp(listed) + pd.DateOffset(years=serious_years)).date() + dt.timedelta(days=1)
    return {"report_year": year, "report_year_end": dt.date(year, 12, 31), "report_deadline": due,
            "report_listing_date": listed, "report_serious_date": serious}


def constants(as_of: dt.date, params: dict, k: int = 0) -> dict:
    """Named values a rule may read: the parameters, ``as_of`` and the report dates of the ``k``-th
    report year back from the last one due."""
    md = str(params.get("annual_report_deadline", "06-30"))
    year = last_due_year(as_of, md) - k
    return {**params, "as_of": as_of, **report_constants(year, md, int(params.get("serious_list_years", 3)))}


CONTEXT_NAMES = ("as_of", "report_year", "report_year_end", "report_deadline", "report_listing_date",
                 "report_serious_date")
