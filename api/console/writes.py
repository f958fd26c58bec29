"""Console forms that change something go through the API's one write path.

A form carries, besides its CSRF token, an idempotency key rendered with the
form (``console-<uuid>``): submitting it twice (a double click, a reload)
replays the first answer instead of deciding twice. ``run`` builds the
API's ``Write`` for the signed-in principal and calls ``Write.run``, so the
command, the ``CompletedRequest`` record and the refusals are exactly those
of the matching API route.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Request

from api.console.session import ConsoleUser
from api.problems import ApiProblem
from api.state import context_for
from api.write import Command, Write

KEY_PATTERN = re.compile(r"^console-[0-9a-f]{32}\Z")


def new_key() -> str:
    return f"console-{uuid.uuid4().hex}"


def console_write(request: Request, user: ConsoleUser, fields: Mapping[str, str]) -> Write:
    key = fields.get("idempotency_key", "")
    if not KEY_PATTERN.match(key):
        raise ApiProblem(
            400, "idempotency_key_invalid", "the form has no valid idempotency key; reload it"
        )
    return Write(request, user.principal, key, context_for(request, user.principal))


def run(write: Write, command: Command, *, body: Any, answer: Mapping[str, Any]) -> dict[str, Any]:
    """``Write.run``; the answer as recorded (with its log position)."""
    response = write.run(command, body=body, answer=answer)
    found: dict[str, Any] = orjson.loads(bytes(response.body))
    return found
