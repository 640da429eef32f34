"""Character budgets: how much an engine may still be sent today and this month (UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from syndicate.config import EngineConfig

__all__ = ["Budget", "day_start", "month_start", "next_day", "next_month"]


def day_start(now: datetime) -> date:
    return now.astimezone(UTC).date()


def month_start(now: datetime) -> date:
    return day_start(now).replace(day=1)


def next_day(now: datetime) -> datetime:
    return datetime.combine(day_start(now) + timedelta(days=1), datetime.min.time(), UTC)


def next_month(now: datetime) -> datetime:
    first = month_start(now)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(following, datetime.min.time(), UTC)


@dataclass
class Budget:
    """What is left under the engine's caps, kept up to date as the runner spends."""

    config: EngineConfig
    used_today: int
    used_month: int

    def left(self) -> int | None:
        """Characters that may still be sent (None: no cap)."""
        caps = [
            cap - used
            for cap, used in (
                (self.config.daily_char_budget, self.used_today),
                (self.config.monthly_char_budget, self.used_month),
            )
            if cap is not None
        ]
        return max(0, min(caps)) if caps else None

    def allows(self, chars: int) -> bool:
        left = self.left()
        return left is None or chars <= left

    def spend(self, chars: int) -> None:
        self.used_today += chars
        self.used_month += chars

    def resets_at(self, now: datetime) -> datetime:
        """When the cap that stops spending resets (the day's, else the month's)."""
        daily = self.config.daily_char_budget
        if daily is not None and self.used_today >= daily:
            return next_day(now)
        monthly = self.config.monthly_char_budget
        if monthly is not None and self.used_month >= monthly:
            return next_month(now)
        return next_day(now)

    def describe(self, now: datetime) -> str:
        return (
            f"character budget reached (today {self.used_today}"
            f"{f' of {self.config.daily_char_budget}' if self.config.daily_char_budget else ''}"
            f", this month {self.used_month}"
            f"{f' of {self.config.monthly_char_budget}' if self.config.monthly_char_budget else ''}"
            f"); resumes {self.resets_at(now):%Y-%m-%d %H:%M} UTC"
        )
