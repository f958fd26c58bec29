"""Route dependencies: authentication and role checks with denied attempts recorded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.auth import PERMISSIONS, Principal, TokenCheckFailed
from api.problems import ApiProblem
from api.state import api_state, record_access

bearer = HTTPBearer(auto_error=False, description="a token from `backoffice tokens create`")


def authorize(permission: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the roles ``PERMISSIONS[permission]`` lists."""
    roles = PERMISSIONS[permission]

    async def dependency(
        request: Request, _credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal:
        # Async, so a token checked in the last moments costs no thread-pool hop;
        # anything that reads or writes the log runs in the pool.
        state = api_state(request)
        header = request.headers.get("authorization")
        try:
            principal = state.tokens.cached(header)
            if principal is None:
                principal = await run_in_threadpool(state.tokens.verify, header)
        except TokenCheckFailed as failure:
            await run_in_threadpool(
                partial(
                    record_access,
                    request,
                    outcome="denied",
                    status=401,
                    actor=failure.actor,
                    detail=failure.detail,
                )
            )
            raise ApiProblem(
                401,
                "unauthenticated",
                failure.detail,
                headers={"WWW-Authenticate": 'Bearer realm="backoffice"'},
            ) from None
        request.scope.setdefault("state", {})["actor"] = principal.actor
        if principal.role not in roles:
            detail = f"role {principal.role} may not {permission}; allowed: {', '.join(roles)}"
            await run_in_threadpool(
                partial(
                    record_access,
                    request,
                    outcome="denied",
                    status=403,
                    actor=principal.actor,
                    role=principal.role,
                    detail=detail,
                )
            )
            raise ApiProblem(403, "forbidden", detail)
        return principal

    dependency.__name__ = f"authorize_{permission.replace(':', '_')}"
    return dependency
