"""Payroll: pure tax and contribution rules for payslips, no storage and no HTTP.

Rule sets are data (``domain.payroll.rules``), one module per jurisdiction and
tax year, so a new year is a new module and an old payslip can always be
recomputed with the rules it was computed with (each carries a version).
``domain.payroll.calculator.calculate`` is the single entry point.
"""
