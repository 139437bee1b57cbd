"""Working-day arithmetic on the official PRC holiday and 调休 calendar.

The years 2004–2026 come from the maintained ``chinesecalendar`` package (the
State Council's yearly notices, 调休 make-up weekend days count as working
days).  Other years come from calendar files a department supplies (YAML
under ``rules/calendar/`` or ``--calendar``).  A date in a year no calendar
covers raises ``CalendarError``: a deadline is never guessed.

All arithmetic is vectorized: the working days of every covered year sit in
one sorted array, so "the N-th working day after D" is one ``searchsorted``.
Periods follow 民法典 Art. 201: the day the period starts is not counted.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterable

import numpy as np
import yaml

from engine.errors import CalendarError, InputError

DAY = np.timedelta64(1, "D")


class WorkingDayCalendar:
    def __init__(self, years: dict[int, set[dt.date]]):
        """``years`` maps each covered year to its set of working days."""
        if not years:
            raise CalendarError("没有任何工作日历数据 (no working-day calendar data at all)")
        self.years = dict(sorted(years.items()))
        days = sorted(d for ds in self.years.values() for d in ds)
        self.workdays = np.array(days, dtype="datetime64[D]")
        self.first_year, self.last_year = min(self.years), max(self.years)
        self._contiguous = list(self.years) == list(range(self.first_year, self.last_year + 1))

    # -- construction ------------------------------------------------------
    @classmethod
    def default(cls, extra_files: Iterable[Path] = ()) -> "WorkingDayCalendar":
        return cls(_package_years() | _file_years(extra_files))

    @classmethod
    def from_rules_dir(cls, rules_dir: Path | None, extra_files: Iterable[Path] = ()):
        files = list(extra_files)
        if rules_dir is not None and (Path(rules_dir) / "calendar").is_dir():
            files = sorted((Path(rules_dir) / "calendar").glob("*.yaml")) + files
        return cls.default(files)

    # -- coverage ----------------------------------------------------------
    def covers(self, dates) -> np.ndarray:
        """Which dates fall in a covered year (vectorized)."""
        d = np.asarray(dates, dtype="datetime64[D]")
        years = d.astype("datetime64[Y]").astype(int) + 1970
        ok = np.isin(years, list(self.years))
        return ok & ~np.isnat(d)

    def describe_coverage(self) -> str:
        if self._contiguous:
            return f"{self.first_year}–{self.last_year}"
        return ", ".join(str(y) for y in self.years)

    def _require(self, d: np.ndarray):
        bad = ~self.covers(d) & ~np.isnat(d)
        if bad.any():
            first = d[bad][0]
            raise CalendarError(f"日期 {first} 超出工作日历覆盖范围（{self.describe_coverage()}），请提供该年的工作日历文件 "
                                f"(date {first} is outside the working-day calendar ({self.describe_coverage()}); "
                                "supply a calendar file for that year)")

    # -- arithmetic --------------------------------------------------------
    def is_workday(self, dates) -> np.ndarray:
        d = np.asarray(dates, dtype="datetime64[D]")
        self._require(d)
        idx = np.searchsorted(self.workdays, d)
        idx_c = np.minimum(idx, len(self.workdays) - 1)
        return (self.workdays[idx_c] == d) & ~np.isnat(d)

    def add_working_days(self, dates, n) -> np.ndarray:
        """The n-th working day after each date (the start day not counted); NaT stays NaT.

        ``n`` may be a scalar or an array (e.g. 20 + 10 where an extension was approved).
        Dates whose result would leave the covered years raise CalendarError.
        """
        d = np.asarray(dates, dtype="datetime64[D]")
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), d.shape)
        nat = np.isnat(d)
        self._require(d)
        pos = np.searchsorted(self.workdays, d, side="right") + n - 1
        over = (pos >= len(self.workdays)) & ~nat
        if over.any():
            raise CalendarError(f"{d[over][0]}后{n[over][0]}个工作日超出工作日历覆盖范围（{self.describe_coverage()}），"
                                f"请提供下一年的工作日历文件 ({n[over][0]} working days after {d[over][0]} runs "
                                f"past the working-day calendar ({self.describe_coverage()}); "
                                "supply a calendar file for the next year)")
        pos = np.clip(pos, 0, len(self.workdays) - 1)
        out = self.workdays[pos]
        out[nat] = np.datetime64("NaT")
        return out

    def add_working_days_safe(self, dates, n) -> tuple[np.ndarray, np.ndarray]:
        """Like add_working_days, but per row: (deadline, ok) with NaT where the calendar cannot say."""
        d = np.asarray(dates, dtype="datetime64[D]")
        n = np.broadcast_to(np.asarray(n, dtype=np.int64), d.shape)
        ok = self.covers(d) | np.isnat(d)
        pos = np.searchsorted(self.workdays, d, side="right") + n - 1
        ok &= (pos < len(self.workdays)) | np.isnat(d)
        pos = np.clip(pos, 0, len(self.workdays) - 1)
        out = self.workdays[pos]
        out[~ok | np.isnat(d)] = np.datetime64("NaT")
        return out, ok

    def working_days_between_safe(self, start, end) -> np.ndarray:
        """Like working_days_between, but per row: NaN where either date is outside the calendar."""
        s = np.asarray(start, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        out = (np.searchsorted(self.workdays, e, side="right")
               - np.searchsorted(self.workdays, s, side="right")).astype(float)
        out[~(self.covers(s) & self.covers(e))] = np.nan
        return out

    def working_days_between(self, start, end) -> np.ndarray:
        """Working days in (start, end]: how many working days after start ``end`` is."""
        s = np.asarray(start, dtype="datetime64[D]")
        e = np.asarray(end, dtype="datetime64[D]")
        self._require(s)
        self._require(e)
        return (np.searchsorted(self.workdays, e, side="right")
                - np.searchsorted(self.workdays, s, side="right"))


def _package_years() -> dict[int, set[dt.date]]:
    """Working days per year from chinesecalendar's tables: weekdays, minus holidays, plus 调休 workdays."""
    import chinese_calendar as cc

    first, last = min(cc.holidays).year, max(cc.holidays).year
    days = np.arange(np.datetime64(f"{first}-01-01"), np.datetime64(f"{last + 1}-01-01"))
    weekday = (days.astype(np.int64) + 3) % 7            # 1970-01-01 was a Thursday: Monday = 0
    off = np.isin(days, np.array(sorted(cc.holidays), dtype="datetime64[D]"))
    extra = np.isin(days, np.array(sorted(cc.workdays), dtype="datetime64[D]"))
    work = days[((weekday < 5) & ~off) | extra]
    years = work.astype("datetime64[Y]").astype(int) + 1970
    out: dict[int, set[dt.date]] = {}
    for y in range(first, last + 1):
        out[y] = set(work[years == y].astype(dt.date).tolist())
    return out


def _file_years(files: Iterable[Path]) -> dict[int, set[dt.date]]:
    """A calendar file gives one or more years: the holidays (放假) and make-up workdays (调休上班).

        year: 2027
        source: 国务院办公厅关于2027年部分节假日安排的通知
        holidays: [2027-01-01, ...]
        workdays: [2027-02-07, ...]      # weekend days that are working days

    Weekdays are working days unless listed as holidays; weekend days are rest
    days unless listed as workdays.
    """
    out: dict[int, set[dt.date]] = {}
    for f in files:
        f = Path(f)
        try:
            docs = list(yaml.safe_load_all(f.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as e:
            raise InputError(f"{f}: 无法读取工作日历文件 (cannot read calendar file): {e}") from None
        for doc in docs:
            if not isinstance(doc, dict) or "year" not in doc:
                raise InputError(f"{f}: 工作日历文件须有 'year'、'holidays' 和 'workdays' (a calendar file needs 'year', 'holidays' and 'workdays')")
            year = int(doc["year"])
            if not doc.get("source"):
                raise InputError(f"{f}: {year}年工作日历缺少 'source'（国务院办公厅通知）(calendar for {year} has no 'source', the State Council notice)")
            hol = {_as_date(x, f) for x in doc.get("holidays") or []}
            work = {_as_date(x, f) for x in doc.get("workdays") or []}
            for x in hol | work:
                if x.year != year:
                    raise InputError(f"{f}: {x} 不在{year}年内 ({x} is not in {year})")
            days = set()
            d = dt.date(year, 1, 1)
            while d.year == year:
                if (d.weekday() < 5 and d not in hol) or d in work:
                    days.add(d)
                d += dt.timedelta(days=1)
            out[year] = days
    return out


def _as_date(x, f) -> dt.date:
    if isinstance(x, dt.date):
        return x
    try:
        return dt.date.fromisoformat(str(x))
    except ValueError:
        raise InputError(f"{f}: 不是日期 {x!r} (not a date)") from None


_DEFAULT: WorkingDayCalendar | None = None


def default_calendar() -> WorkingDayCalendar:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = WorkingDayCalendar.default()
    return _DEFAULT
