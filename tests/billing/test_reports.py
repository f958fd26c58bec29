"""The billing reports over HTTP on both backends: AR and AP aging as of a date
and position, the tax report with the PPN return lines, the statement and the
dunning list; an aging agrees with the open-items projection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.support import ApiHarness
from tests.billing.api_support import (
    billing_api,
    invoice_line,
    issued,
    party,
    posted_bill,
    receipt,
)


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with billing_api(database_url) as harness:
        yield harness


def report(api: ApiHarness, name: str, **parameters: Any) -> dict[str, Any]:
    response = api.get(f"/v1/reports/{name}", "auditor", params=parameters)
    assert response.status_code == 200, response.text
    return dict(response.json())


def rows_by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


def test_ar_aging_buckets_by_days_past_due_as_of_a_date_and_position(api: ApiHarness) -> None:
    customer = party(api, terms=30)
    issued(api, customer["id"], invoice_line("100.00"), date="2026-01-05")  # due 02-04
    issued(api, customer["id"], invoice_line("50.00"), date="2026-03-01")  # due 03-31
    position = api.event_count()
    body = report(api, "billing-ar-aging", as_of_date="2026-04-10", as_of_position=position)
    row = rows_by_key(body)[f"{customer['id']}/USD"]
    assert row["current"] == "0.00"
    assert row["days_1_30"] == "60.00"  # 50.00 and VAT 20%, 10 days past due
    assert row["days_61_90"] == "120.00"  # 65 days past due
    assert row["total"] == "180.00" and row["items"] == 2
    assert rows_by_key(body)["(total)/USD"]["total"] == "180.00"
    receipt(api, customer["subject_id"], "120.00")
    earlier = report(api, "billing-ar-aging", as_of_date="2026-04-10", as_of_position=position)
    assert earlier["rows"] == body["rows"]  # as of the position, not the head
    later = report(api, "billing-ar-aging", as_of_date="2026-01-31")
    assert rows_by_key(later)[f"{customer['id']}/USD"]["current"] == "120.00"  # one issued yet


def test_ap_aging_and_the_projection_agree(api: ApiHarness) -> None:
    supplier = party(api, "supplier", terms=14)
    posted_bill(api, supplier["id"], "10.00")
    body = report(api, "billing-ap-aging", as_of_date="2026-05-01")
    row = rows_by_key(body)[f"{supplier['id']}/USD"]
    items = api.get("/v1/billing/open-items", "auditor", params={"side": "payable"}).json()
    (item,) = items["open_items"]
    assert row["total"] == f"{item['open_amount_minor'] / 100:.2f}"
    assert row["days_31_60"] == f"{item['open_amount_minor'] / 100:.2f}"  # due 03-24, 38 days


def test_tax_report_and_ppn_return_lines(api: ApiHarness) -> None:
    customer = party(api)
    issued(api, customer["id"], invoice_line("100.00"), date="2026-03-02")
    supplier = party(api, "supplier")
    posted_bill(api, supplier["id"], "40.00")
    body = rows_by_key(report(api, "billing-tax", period="2026-03"))
    assert body["output/VAT-STD/USD"]["tax"] == "20.00"
    assert body["input/VAT-STD/USD"]["tax"] == "8.00"
    assert body["spt-masa-ppn-1111/III.C"]["tax"] == "0.00"  # no PPN in USD books
    assert report(api, "billing-tax", period="2026-04")["rows"][0]["key"].startswith("spt")


def test_statement_and_dunning(api: ApiHarness) -> None:
    customer = party(api, terms=10)
    issued(api, customer["id"], invoice_line("100.00"), date="2026-02-01")  # due 02-11
    issued(api, customer["id"], invoice_line("10.00"), date="2026-03-01")  # due 03-11
    statement = report(api, "billing-statement", party_id=customer["id"], period="2026-03")
    rows = rows_by_key(statement)
    assert rows["USD/opening"]["balance"] == "120.00"
    assert rows["USD/000001"]["kind"] == "invoice" and rows["USD/000001"]["amount"] == "12.00"
    assert rows["USD/closing"]["balance"] == "132.00"
    dunning = report(api, "billing-dunning", as_of_date="2026-03-20")
    levels = [(row["number"], row["level"]) for row in dunning["rows"]]
    assert levels == [("INV-2026-000001", 3), ("INV-2026-000002", 1)]
    refused = api.get(
        "/v1/reports/billing-statement", "auditor", params={"party_id": "x", "period": "2026-03"}
    )
    assert refused.status_code == 422
