"""Rules the compliance reports apply, as data (plain literals, no logic).

Plain Python literals rather than JSON so that they ship inside the wheel
with no packaging configuration; ``projections.reports.cash_rules`` reads
and checks them. Each module holds one kind of rule:

``cash.py`` ``CASH_RULES``: one mapping per jurisdiction:

- ``jurisdiction``: the parameter value (``US``, ``ID``);
- ``report``, ``authority``: what is filed, and the rule's legal source;
- ``currency``: an ISO 4217 code; only cash in this currency is counted
  (no conversion: the log has no exchange rates of record);
- ``threshold``: a decimal string in ``currency`` (never a float);
- ``comparison``: ``more_than`` (total > threshold) or ``at_least``
  (total >= threshold);
- ``aggregation``: ``person_business_day_by_direction``, the only one
  implemented: per person (data subject) per business day, cash in and
  cash out totalled separately, never netted;
- ``due_days`` and ``due_days_kind``: ``calendar`` (plain days) or
  ``working`` (days the calendar is open) after the business day;
- ``calendar``: the name of a holiday calendar, and ``closed_kinds``: which
  kinds of its days close business (besides Saturday and Sunday).

``holidays_*.py`` ``CALENDAR``: ``name``, ``years`` (the years whose lists
were confirmed from an official source: outside them only weekends are
known, and rows say so), ``sources``, and ``days``: (ISO date, name, kind).
"""
