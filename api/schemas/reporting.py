"""Report filing bodies (a report's own parameters are query parameters)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictInt, StrictStr

from api.schemas.common import POSITION_MAX, Request

ParameterText = Annotated[StrictStr, Field(max_length=128)]


class FilingIn(Request):
    parameters: Annotated[dict[ParameterText, ParameterText], Field(max_length=16)] = {}
    as_of_position: Annotated[StrictInt | None, Field(ge=0, le=POSITION_MAX)] = None
