"""Calendar windows: month starts and ends, the same window earlier, the latest whole months, and a period in words."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from query.i18n import _, month_year


def year_earlier(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def months_earlier(first_day: date, months: int) -> date:
    index = first_day.year * 12 + first_day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def is_month_start(day: date) -> bool:
    return day.day == 1


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def day_words(day: date) -> str:
    return f"{day.day} {month_year(day)}"


def start_words(day: date) -> str:
    return month_year(day) if is_month_start(day) else day_words(day)


def end_words(day: date) -> str:
    return month_year(day) if is_month_end(day) else day_words(day)


def period_words(start: date | None, end: date | None) -> str:
    """'Jan 2021 – Jun 2022', '3 Jan 2021 – 15 Jun 2022', 'from Jan 2021' or 'all dates'."""
    if start is None and end is None:
        return _("all dates")
    if end is None:
        return _("from {day}").format(day=start_words(start))
    if start is None:
        return _("until {day}").format(day=end_words(end))
    if is_month_start(start) and is_month_end(end):
        first, last = month_year(start), month_year(end)
        return first if first == last else f"{first} – {last}"
    if start == end:
        return day_words(start)
    return f"{day_words(start)} – {day_words(end)}"


def latest_months(last_date: date | None, months: int = 12) -> tuple[date | None, date | None]:
    """The last `months` whole calendar months that the data covers (its final month if it is complete)."""
    if last_date is None:
        return None, None
    end = last_date if is_month_end(last_date) else last_date.replace(day=1) - timedelta(days=1)
    return months_earlier(end.replace(day=1), months - 1), end


def per_year_factor(date_from: date, date_to: date) -> float:
    """What turns a count over this window into a count per year: 12 / months for whole calendar
    months (so a 12-month window's rate is its count's), else 365.25 / days."""
    if date_from.day == 1 and is_month_end(date_to):
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        return 12 / months
    return 365.25 / ((date_to - date_from).days + 1)
