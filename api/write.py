"""The one write path: every POST route runs its change through a ``Write``.

A route declares who may write (``api.dependencies``: an ``Annotated[Write,
...]`` alias per permission). By the time the handler runs, the caller is
authenticated and authorised and the Idempotency-Key header is checked; the
``Write`` carries the key and the actor's ``Context``. The handler parses its
body, decides its answer, and hands ``Write.run`` the one command to call::

    return write.run(
        lambda context: ledger.close_period(context, name, body.reason),
        body=body,
        answer={"period": name, "status": "closed"},
    )

``run`` calls the command at most once per (actor, key): the answer is
recorded as a ``CompletedRequest`` in the same commit as the command's
events, a retry with the same body gets the recorded answer byte for byte
with ``Idempotency-Replayed: true``, and the same key with a different body
is a 422 ``idempotency_key_reused``. Domain refusals leave the handler as
they are and become problems in the one mapping (``api.error_status``).

Journal entries keep their own path, behind the same ``Write``:
``Write.post_entry`` gives the ledger its own idempotency key (the client's,
scoped by actor) and awaits the group committer on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import IntegrityError
from fastapi import Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from adapters.group_commit import WAIT_TIMEOUT_S, CommitterOverloaded, CommitterStopped
from api.auth import Principal
from api.problems import ApiProblem
from api.state import REPLAYED_HEADER, ApiState, api_state, context_for, json_response
from domain.access.requests import CompletedRequest
from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict, DomainError, IdempotencyConflict
from domain.ledger.commands import PostingOutcome, PostJournalEntry

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}\Z")
IDEMPOTENCY_HEADER = "Idempotency-Key"

Command = Callable[[Context], object]
"""One call of an application or service method, given the caller's context."""


def idempotency_key(request: Request) -> str:
    """The request's Idempotency-Key (a 400 problem when missing or malformed)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        raise ApiProblem(
            400,
            "idempotency_key_required",
            "this request changes something: send an Idempotency-Key header "
            "(a unique string per intended change, at most 128 printable characters)",
            errors=[{"field": IDEMPOTENCY_HEADER, "code": "missing", "message": "required"}],
        )
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiProblem(
            400,
            "idempotency_key_invalid",
            "Idempotency-Key: 1 to 128 printable ASCII characters without spaces",
            errors=[
                {
                    "field": IDEMPOTENCY_HEADER,
                    "code": "invalid",
                    "message": "1-128 printable characters",
                }
            ],
        )
    return key


def scoped_key(actor: str, key: str) -> str:
    """The ledger's idempotency key of an API request: the client's key, scoped by actor."""
    return f"{len(actor)}:{actor}/{key}"


def request_fingerprint(method: str, route: str, path: str, body: Any) -> str:
    canonical = orjson.dumps(
        {"method": method, "route": route, "path": path, "body": body}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(canonical).hexdigest()


def key_reused(key: str) -> ApiProblem:
    return ApiProblem(
        422,
        "idempotency_key_reused",
        f"Idempotency-Key {key!r} was used before for a different request",
        errors=[
            {"field": IDEMPOTENCY_HEADER, "code": "reused", "message": "used for another request"}
        ],
    )


@dataclass(frozen=True, slots=True)
class Write:
    """A POST request allowed to write: who asks, under which key, in which context."""

    request: Request
    principal: Principal
    key: str
    context: Context

    @property
    def state(self) -> ApiState:
        return api_state(self.request)

    @property
    def ledger_key(self) -> str:
        return scoped_key(self.principal.actor, self.key)

    def fingerprint(self, body: BaseModel | Any) -> str:
        """What identifies the request under its key: method, route, path and ``body``
        (a model as its JSON, or what the route made of it, e.g. digests of personal values)."""
        value = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
        route = self.request.scope.get("route")
        route_path = str(getattr(route, "path", self.request.url.path))
        return request_fingerprint(self.request.method, route_path, self.request.url.path, value)

    def replay(self, body: BaseModel | Any) -> Response | None:
        """The recorded answer if this key completed before (a 422 if for another body);
        None if not. For routes whose answer costs work to decide."""
        record = self.state.app.completed_request(self.principal.actor, self.key)
        return None if record is None else self._replayed(record, self.fingerprint(body))

    def run(
        self,
        command: Command,
        *,
        body: BaseModel | Any,
        answer: Mapping[str, Any],
        status: int = 200,
    ) -> Response:
        """Call ``command`` at most once per (actor, key) and answer ``status`` with
        ``answer`` and the log position; a retry is answered from the record."""
        state = self.state
        app = state.app
        fingerprint = self.fingerprint(body)
        existing = app.completed_request(self.principal.actor, self.key)
        if existing is not None:
            return self._replayed(existing, fingerprint)
        recorded = dict(answer)
        try:
            with app.riding(lambda: self._record(fingerprint, status, recorded)) as rider_position:
                command(self.context)
                position = rider_position()
                if position is None:
                    position = self._save_record_alone(rider_position)
        except DomainError:
            raced = app.completed_request(self.principal.actor, self.key)
            if raced is not None:
                return self._replayed(raced, fingerprint)
            raise
        state.metrics.events_appended.inc(2)
        return json_response(status, {**recorded, "position": position})

    def _record(self, fingerprint: str, status: int, answer: dict[str, Any]) -> CompletedRequest:
        return CompletedRequest.record(
            actor=self.principal.actor,
            key=self.key,
            method=self.request.method,
            route=self.request.url.path,
            fingerprint=fingerprint,
            status=status,
            body=answer,
            correlation_id=self.context.correlation_id,
        )

    def _save_record_alone(self, rider_position: Callable[[], int | None]) -> int | None:
        """The command wrote nothing (already so: the same list again, an item screened
        before). The record is saved by itself, so the key is spent and the answer has
        a log position."""
        try:
            self.state.app.save()
        except IntegrityError:  # the same key completed concurrently
            raise ConcurrencyConflict("the request was completed concurrently") from None
        return rider_position()

    def _replayed(self, record: CompletedRequest, fingerprint: str) -> Response:
        if record.fingerprint != fingerprint:
            raise key_reused(self.key)
        position = self.state.app.position_of(record.id, 1)
        return json_response(record.status, {**record.body, "position": position}, replayed=True)

    async def post_entry(
        self, command: PostJournalEntry, *, answer: Mapping[str, Any], status: int = 201
    ) -> Response:
        """Post a journal entry through the group committer, awaited on the event loop.

        ``command`` carries ``context`` and ``ledger_key``: the ledger keeps its own
        record of the key, so a retry is answered from the entry itself."""
        state = self.state
        try:
            outcome = await committed(state.committer.submit(command))
        except IdempotencyConflict:
            raise key_reused(self.key) from None
        except (CommitterOverloaded, CommitterStopped, TimeoutError) as exc:
            raise ApiProblem(
                503,
                "overloaded",
                f"the entry was not accepted ({type(exc).__name__}); retry with the same Idempotency-Key",
                headers={"Retry-After": "1"},
            ) from None
        position = outcome.position
        if outcome.replayed:
            position = await run_in_threadpool(state.app.position_of, outcome.entry_id, 1)
        else:
            state.metrics.events_appended.inc()
        body = {"id": str(outcome.entry_id), **answer, "position": position}
        return json_response(status, body, replayed=outcome.replayed)


async def committed(
    future: Future[PostingOutcome], timeout_s: float = WAIT_TIMEOUT_S
) -> PostingOutcome:
    """The group committer's outcome for ``future``, awaited on the event loop.

    Same outcome, refusal or ``TimeoutError`` as ``GroupCommitter.post``, but
    no worker thread is held while the commit runs. Only our own waiter is
    ever cancelled, never the committer's future.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    future.add_done_callback(lambda _future: loop.call_soon_threadsafe(_wake, waiter))
    try:
        await asyncio.wait_for(waiter, timeout_s)
    except TimeoutError:
        if not future.done():
            raise
    return future.result()


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def write_for(request: Request, principal: Principal) -> Write:
    """The ``Write`` of an authorised request (its key checked, its context made)."""
    key = idempotency_key(request)
    return Write(request, principal, key, context_for(request, principal))


def screen_after(screen: Callable[[Context, UUID], int], context: Context, item_id: UUID) -> None:
    """Screen a payment or receipt right after its request; a screening that cannot run now (no list
    loaded, the list changing) leaves the item for ``/screen`` or a retry."""
    with contextlib.suppress(DomainError):
        screen(context, item_id)


def restated(response: Response, **now: Any) -> Response:
    """A write's answer (first or replayed) with ``now`` in its body: a payment's or
    receipt's status after its request and the screening right after it."""
    body = orjson.loads(bytes(response.body))
    replayed = response.headers.get(REPLAYED_HEADER) == "true"
    return json_response(response.status_code, {**body, **now}, replayed=replayed)
