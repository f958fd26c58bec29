"""A transfer takes the payee's bank account from their subject when
``payee_account`` is not given; the clearing account must exist, and a missing
one is refused naming it. Both backends."""

from __future__ import annotations

from uuid import uuid4

import pytest

from backoffice.container import System
from domain.kernel.errors import InvalidInput
from domain.ledger.errors import UnknownAccount
from domain.payments.errors import InvalidAccountIdentifier
from domain.payments.policy import PaymentPolicy
from tests.payments.support import (
    GOOD_IBAN,
    POLICY,
    REQUESTER,
    desks,
    fund,
    open_chart,
    request_args,
)

CANONICAL_IBAN = GOOD_IBAN.replace(" ", "")


@pytest.fixture
def books(system: System) -> System:
    open_chart(system)
    fund(system, "1000.00")
    return system


def test_a_transfer_takes_the_registered_payees_bank_account_when_none_is_given(
    books: System,
) -> None:
    payments, _receipts, _port = desks(books)
    subject_id, _position = payments.registry.register_subject(
        REQUESTER, "payee", {"name": "Acme Supplies Ltd", "bank_account": GOOD_IBAN}
    )
    args = request_args(payee=None, payee_subject_id=subject_id, payee_account=None)
    payments.request(REQUESTER, **args)
    payment = payments.get(args["payment_id"])
    assert payments.payee_account_of(payment) == {"iban": CANONICAL_IBAN}
    assert payment.account_scheme == "iban"
    given = request_args(payee=None, payee_subject_id=subject_id)
    payments.request(REQUESTER, **given)
    same = payments.get(given["payment_id"])
    assert same.content_fingerprint == payment.content_fingerprint  # the same content either way
    assert payments.payee_account_of(same) == {"iban": CANONICAL_IBAN}


def test_an_inline_payee_with_a_bank_account_needs_no_payee_account(books: System) -> None:
    payments, _receipts, _port = desks(books)
    args = request_args(payee={"name": "Acme", "bank_account": GOOD_IBAN}, payee_account=None)
    payments.request(REQUESTER, **args)
    assert payments.payee_account_of(payments.get(args["payment_id"])) == {"iban": CANONICAL_IBAN}


def test_a_transfer_without_any_payee_account_is_refused_saying_what_to_give(
    books: System,
) -> None:
    payments, _receipts, _port = desks(books)
    with pytest.raises(InvalidInput) as refusal:
        payments.request(REQUESTER, **request_args(payee_account=None))
    assert refusal.value.field == "payee_account"
    assert "no bank_account on file" in refusal.value.message
    not_iban = request_args(payee={"name": "Acme", "bank_account": "12345678"}, payee_account=None)
    with pytest.raises(InvalidAccountIdentifier) as bad:
        payments.request(REQUESTER, **not_iban)
    assert "bank_account on file is not a valid IBAN" in bad.value.message


def test_a_missing_default_clearing_account_is_refused_naming_it(books: System) -> None:
    policy = PaymentPolicy(
        dual_approval_above=POLICY.dual_approval_above, clearing_account="Assets:NotOpened"
    )
    payments, _receipts, _port = desks(books, policy)
    with pytest.raises(UnknownAccount) as refusal:
        payments.request(REQUESTER, **request_args(payment_id=uuid4()))
    assert refusal.value.field == "clearing_account"
    assert "Assets:NotOpened (the payment policy's default) does not exist" in refusal.value.message
