"""Report parameters: checking raw values against a report's schema, and the
period / date-range parameters most reports share."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from projections.reports.framework import ParameterSpec, Report

PARAMETERS_MAX = 16
TEXT_LENGTH_MAX = 128

PERIOD = ParameterSpec("period", "period", "a calendar month, YYYY-MM")
DATE_FROM = ParameterSpec("date_from", "date", "first day included, YYYY-MM-DD")
DATE_TO = ParameterSpec("date_to", "date", "last day included, YYYY-MM-DD")


def check_parameters(report: Report, raw: Mapping[str, Any]) -> dict[str, str]:
    """The parameters as canonical strings (only those given, sorted by name)."""
    specs = {spec.name: spec for spec in report.parameters}
    if len(raw) > PARAMETERS_MAX:
        raise InvalidInput(f"parameters: at most {PARAMETERS_MAX}", field="parameters")
    unknown = sorted(name for name in raw if name not in specs)
    if unknown:
        known = ", ".join(specs) or "none"
        raise InvalidInput(
            f"parameters: {report.name} takes {known}; unknown: {', '.join(map(str, unknown))[:200]}",
            field=str(unknown[0])[:64],
        )
    checked: dict[str, str] = {}
    for name in sorted(raw):
        value = raw[name]
        if value is None or value == "":
            continue
        checked[name] = _check_value(specs[name], value)
    for spec in report.parameters:
        if spec.required and spec.name not in checked:
            raise InvalidInput(f"{spec.name}: required ({spec.description})", field=spec.name)
    report.validate(checked)
    return checked


def _check_value(spec: ParameterSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{spec.name}: expected a string ({spec.description})", field=spec.name)
    if spec.kind == "period":
        return limits.period_name(value, spec.name)
    if spec.kind == "date":
        return limits.effective_date(value, spec.name)
    text = limits.bounded_text(value, spec.name, TEXT_LENGTH_MAX)
    if spec.choices and text not in spec.choices:
        raise InvalidInput(f"{spec.name}: one of {', '.join(spec.choices)}", field=spec.name)
    return text


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive ISO dates; None is unbounded. ``period`` when given as a month."""

    date_from: str | None
    date_to: str | None
    period: str | None = None

    def contains(self, day: str) -> bool:
        return (self.date_from is None or day >= self.date_from) and (
            self.date_to is None or day <= self.date_to
        )

    def as_dict(self) -> dict[str, Any]:
        return {"period": self.period, "date_from": self.date_from, "date_to": self.date_to}


def period_bounds(period: str) -> tuple[str, str]:
    year, month = int(period[:4]), int(period[5:7])
    return f"{period}-01", f"{period}-{calendar.monthrange(year, month)[1]:02d}"


def date_range(parameters: Mapping[str, str], *, to_name: str = "date_to") -> DateRange:
    """The range named by ``period`` or ``date_from``/``to_name`` (checked already)."""
    period = parameters.get("period")
    if period is not None:
        first, last = period_bounds(period)
        return DateRange(first, last, period)
    return DateRange(parameters.get("date_from"), parameters.get(to_name))


def check_period_or_range(
    parameters: Mapping[str, str], *, required: bool, to_name: str = "date_to"
) -> None:
    """``period`` excludes explicit dates; with ``required``, one of them is needed."""
    dates = [name for name in ("date_from", to_name) if name in parameters]
    if "period" in parameters and dates:
        raise InvalidInput(
            f"period: give a period or {' and '.join(dates)}, not both", field="period"
        )
    if required and "period" not in parameters and len(dates) < 2:
        raise InvalidInput(
            f"period: required (YYYY-MM), or both date_from and {to_name}", field="period"
        )
    if len(dates) == 2 and parameters["date_from"] > parameters[to_name]:
        raise InvalidInput(f"date_from: after {to_name}", field="date_from")
