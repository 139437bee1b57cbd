"""Working days across real PRC holidays and 调休 make-up days, worked by hand from the
State Council notices (国办发明电〔2023〕7号 for 2024, 〔2024〕12号 for 2025)."""

import numpy as np
import pytest

from engine.calendar import WorkingDayCalendar
from engine.errors import CalendarError


def d(s):
    return np.datetime64(s, "D")


@pytest.mark.parametrize("start, n, expected", [
    # 2024 国庆: 10/1–10/7 off; 9/29 (Sun) and 10/12 (Sat) are workdays.
    ("2024-09-27", 1, "2024-09-29"),
    ("2024-09-27", 2, "2024-09-30"),
    ("2024-09-27", 3, "2024-10-08"),
    ("2024-09-30", 5, "2024-10-12"),
    ("2024-09-27", 20, "2024-10-30"),
    # 2025 国庆+中秋: 10/1–10/8 off; 9/28 (Sun) and 10/11 (Sat) are workdays.
    ("2025-09-26", 1, "2025-09-28"),
    ("2025-09-30", 1, "2025-10-09"),
    ("2025-09-30", 3, "2025-10-11"),
    # 2025 春节: 1/28–2/4 off; 1/26 (Sun) and 2/8 (Sat) are workdays.
    ("2025-01-24", 1, "2025-01-26"),
    ("2025-01-26", 1, "2025-01-27"),
    ("2025-01-27", 1, "2025-02-05"),
    ("2025-01-27", 4, "2025-02-08"),
])
def test_add_working_days(calendar, start, n, expected):
    assert calendar.add_working_days(np.array([d(start)]), n)[0] == d(expected)


def test_a_date_outside_every_calendar_is_an_error(calendar):
    with pytest.raises(CalendarError, match="超出工作日历覆盖范围"):
        calendar.add_working_days(np.array([d("2031-03-02")]), 5)
    deadlines, ok = calendar.add_working_days_safe(np.array([d("2031-03-02"), d("2024-09-27")]), 20)
    assert ok.tolist() == [False, True]
    assert deadlines[1] == d("2024-10-30")


def test_user_calendar_file_adds_a_year(tmp_path):
    """A made-up 2027 notice (not the real one): 1/1 (Fri) off, 1/2 (Sat) a make-up workday."""
    f = tmp_path / "2027.yaml"
    f.write_text("year: 2027\nsource: 测试用通知 (test data)\nholidays: [2027-01-01]\nworkdays: [2027-01-02]\n",
                 encoding="utf-8")
    cal = WorkingDayCalendar.default([f])
    # 2026-12-31 (Thu, from chinesecalendar) + 1 → 1/1 is off → 1/2 (Sat) is a workday
    assert cal.add_working_days(np.array([d("2026-12-31")]), 1)[0] == d("2027-01-02")
    assert cal.add_working_days(np.array([d("2026-12-31")]), 2)[0] == d("2027-01-04")
    with pytest.raises(CalendarError):
        WorkingDayCalendar.default().add_working_days(np.array([d("2026-12-31")]), 1)


def test_calendar_file_needs_a_source(tmp_path):
    from engine.errors import InputError
    f = tmp_path / "2031.yaml"
    f.write_text("year: 2031\nholidays: []\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'source'"):
        WorkingDayCalendar.default([f])


def test_calendar_agrees_with_chinesecalendar_on_every_day():
    """The vectorized table must say exactly what chinesecalendar says, day by day, 2004–2026."""
    import datetime as dt

    import chinese_calendar as cc

    from engine.calendar import default_calendar
    cal = default_calendar()
    day, last = dt.date(2004, 1, 1), dt.date(2026, 12, 31)
    days, expected = [], []
    while day <= last:
        days.append(day)
        expected.append(cc.is_workday(day))
        day += dt.timedelta(days=1)
    got = cal.is_workday(np.array(days, dtype="datetime64[D]"))
    assert got.tolist() == expected
