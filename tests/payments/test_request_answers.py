"""``POST /v1/payments`` and ``POST /v1/receipts`` answer the status after the
command: the party is screened in the same request. Both backends."""

from __future__ import annotations

from tests.payments.support import SANCTIONED, VALUE_DATE, payment_body, payments_api


def test_requesting_a_payment_answers_its_status_after_screening(database_url: str) -> None:
    with payments_api(database_url) as (api, _port):
        body = payment_body("20.00")
        clear = api.post("/v1/payments", "poster", body, key="answer-1")
        assert clear.status_code == 201, clear.text
        assert clear.json()["status"] == "awaiting_approval"
        replay = api.post("/v1/payments", "poster", body, key="answer-1")
        assert replay.headers.get("Idempotency-Replayed") == "true"
        assert replay.json()["status"] == "awaiting_approval"
        held_body = payment_body("20.00", payee={"name": SANCTIONED, "reference": "V-HELD"})
        held = api.post("/v1/payments", "poster", held_body)
        assert held.status_code == 201, held.text
        assert held.json()["status"] == "held"
        shown = api.get(f"/v1/payments/{held.json()['id']}", "auditor").json()
        assert shown["status"] == "held"


def test_recording_a_receipt_answers_its_status_after_screening(database_url: str) -> None:
    with payments_api(database_url) as (api, _port):
        body = {
            "method": "wire",
            "payer": {"name": "Walk-in Customer"},
            "amount": "12.00",
            "asset": "USD",
            "reference": "ANSWER-1",
            "value_date": VALUE_DATE,
        }
        posted = api.post("/v1/receipts", "poster", body)
        assert posted.status_code == 201, posted.text
        assert posted.json()["status"] == "posted"
        held = api.post("/v1/receipts", "poster", {**body, "payer": {"name": SANCTIONED}})
        assert held.status_code == 201, held.text
        assert held.json()["status"] == "held"
