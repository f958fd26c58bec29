"""The made-up world of the demo's business year: parties, a sanctions list, plans.

Every name, account number and list entry here is invented for the demo
(the sanctions list is NOT real list data, and the IBANs belong to a bank
code, ``XDMO``, that no bank uses). Amounts are in US cents; days are
(month, day) in the demo year.
"""

from __future__ import annotations

from dataclasses import dataclass

CHART: list[tuple[str, str, str, list[str], list[str]]] = [
    ("Assets:Bank:Checking", "Operating bank account", "asset", ["USD"], ["no_overdraft"]),
    ("Assets:Bank:EUR", "Euro bank account", "asset", ["EUR"], ["no_overdraft"]),
    ("Assets:Cash", "Cash box", "asset", ["USD"], ["no_overdraft"]),
    ("Assets:Receivables:Sundry", "Receivables booked without an invoice", "asset", ["USD"], []),
    ("Liabilities:Payables:Sundry", "Payables booked without a bill", "liability", ["USD"], []),
    ("Liabilities:CardClearing", "Card payments in flight", "liability", ["USD"], []),
    ("Equity:Capital", "Paid-in capital", "equity", ["USD"], []),
    ("Equity:Trading:FX", "Currency trading", "equity", ["USD", "EUR"], []),
    ("Income:Sales", "Sales", "income", ["USD"], []),
    ("Income:Sales:EU", "Sales to EU customers", "income", ["EUR"], []),
    ("Expenses:Rent", "Office rent", "expense", ["USD"], []),
    ("Expenses:Salaries", "Salaries", "expense", ["USD"], []),
    ("Expenses:Services", "Services bought in", "expense", ["USD"], []),
    ("Expenses:Supplies", "Office supplies", "expense", ["USD"], []),
    ("Expenses:Travel", "Travel", "expense", ["USD"], []),
]

BANK = "Assets:Bank:Checking"
CASH = "Assets:Cash"
PAYABLES = "Liabilities:Payables:Sundry"
RECEIVABLES = "Assets:Receivables:Sundry"
SERVICES = "Expenses:Services"

# slug -> (kind, name). Slugs name the subjects (their references), never the names.
PARTIES: dict[str, tuple[str, str]] = {
    "quillsby": ("payee", "Quillsby & Daughters Stationery"),
    "hollowmere": ("payee", "Hollowmere Fit-Out Company"),
    "nimbus-wren": ("payee", "Nimbus Wren Hosting"),
    "oakridge": ("payee", "Tamsin Oakridge"),
    "larkspur": ("payee", "Larkspur Print Works"),
    "marlowe": ("payee", "Marlowe Picnic Catering"),
    "grimwald": ("payee", "Osric Grimwald"),  # on the demo list: a hit
    "pellinor": ("payee", "Ysolde Pellinor"),  # one letter off a listed name: a review
    "fennimore": ("customer", "Fennimore Bicycle Repairs"),
    "greaves": ("customer", "Ottoline Greaves"),  # asks to be erased at year end
    "puddleby": ("customer", "Puddleby Garden Centre"),
}
ERASED_PARTY = "greaves"


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


_EMPTY = "-0- "
SANCTIONS_SOURCE = "Demo sanctions list (fictional)"
SANCTIONS_SDN = _csv(
    *(
        ",".join([str(number), f'"{name}"', kind, '"DEMO-FICTIONAL"', *[_EMPTY] * 7, _EMPTY])
        for number, name, kind in (
            (9001, "GRIMWALD, Osric", '"individual"'),
            (9002, "PELLINORE, Ysolde", '"individual"'),
            (9003, "CORVID MERIDIAN TRADING LLC", _EMPTY),
            (9004, "VELDRAKE, Aurel", '"individual"'),
        )
    )
)
SANCTIONS_ALT = _csv(f'9003,1,"aka","CORVID MARITIME",{_EMPTY}')


def demo_iban(number: int) -> str:
    """A checksum-valid GB IBAN at the made-up bank code XDMO."""
    bban = f"XDMO000000{number:08d}"
    digits = "".join(str(int(char, 36)) for char in bban + "GB00")
    return f"GB{98 - int(digits) % 97:02d}{bban}"


STATEMENT_IBAN = demo_iban(1)


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """One outgoing payment and how its life ends. ``outcome``: settled | failed |
    returned | cancelled | rejected (held, compliance rejects) | cleared (held,
    compliance clears, then settled). ``reason`` goes with the last step."""

    key: str
    payee: str
    amount_minor: int
    month: int
    day: int
    purpose: str
    outcome: str = "settled"
    reason: str = ""


PAYMENTS: list[PaymentPlan] = [
    PaymentPlan("stationery-1", "quillsby", 1_240_00, 2, 12, "Invoice QDS-0217: paper, toner"),
    PaymentPlan("fit-out", "hollowmere", 12_500_00, 3, 18, "Invoice HFC-88: meeting room fit-out"),
    PaymentPlan(
        "contractor",
        "oakridge",
        2_300_00,
        4,
        22,
        "Contract work, April",
        "failed",
        "Beneficiary bank reports the account closed",
    ),
    PaymentPlan(
        "brochures",
        "larkspur",
        860_00,
        5,
        14,
        "Invoice LPW-310: brochures",
        "returned",
        "Returned by the beneficiary bank: account name mismatch",
    ),
    PaymentPlan(
        "summer-party",
        "marlowe",
        540_00,
        6,
        9,
        "Deposit: summer party catering",
        "cancelled",
        "Event called off before the payment was submitted",
    ),
    PaymentPlan(
        "consulting",
        "grimwald",
        3_000_00,
        8,
        6,
        "Consulting, July",
        "rejected",
        "Confirmed match with entry 9001 of the (fictional) demo list",
    ),
    PaymentPlan(
        "translation",
        "pellinor",
        1_750_00,
        9,
        10,
        "Translation of the product manual",
        "cleared",
        "Namesake: date of birth and address differ from entry 9002",
    ),
    PaymentPlan("stationery-2", "quillsby", 615_00, 11, 26, "Invoice QDS-0398: notebooks"),
]
IN_TRANSIT_PAYMENT = "stationery-2"
"""Settled in the books on 26 November; the bank books it in December (the
reconciliation's unmatched ledger entry)."""
HOSTING_DAY = 15

# (key, customer, method, month, day); amounts come from the seed (cash: fixed).
RECEIPT_METHODS = {"fennimore": "wire", "greaves": "card", "puddleby": "cash"}
LARGE_CASH_MINOR = 10_250_00  # December: above the usual cash-reporting threshold


@dataclass(frozen=True, slots=True)
class ObligationPlan:
    direction: str  # receivable | payable
    reference: str
    amount_minor: int
    due_day: int  # in the settlement month


SETTLEMENT_COUNTERPARTY = "Harbourline Freight Cooperative"
SETTLEMENT_MONTH, SETTLEMENT_DAY = 11, 20
OBLIGATIONS = [
    ObligationPlan("receivable", "HFC-R-1041", 4_200_00, 14),
    ObligationPlan("receivable", "HFC-R-1042", 1_850_00, 18),
    ObligationPlan("payable", "HFC-P-0771", 3_100_00, 12),
    ObligationPlan("payable", "HFC-P-0779", 900_00, 19),
]

RECONCILED_MONTH = 11
BANK_FEE_MINOR = 35_00
BANK_FEE_TEXT = "Monthly account fee"
