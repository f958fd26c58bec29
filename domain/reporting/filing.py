"""Report filings: the record that a report was filed (handed to a regulator,
an auditor, a board) as it stood at one log position.

The filing keeps what is needed to reproduce the report and prove it is the
same: the report's name, its checked parameters, the log position it was
computed as of, its row count and its content digest (SHA-256, the
definition named by ``digest_version``). The rows themselves are not kept:
they are re-computed from the log, which never changes, and compared.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.topics import pin_topics

REPORT_NAME_LENGTH_MAX = 64
PARAMETERS_MAX = 16
PARAMETER_LENGTH_MAX = 128
_REPORT_NAME = re.compile(r"^[a-z][a-z0-9-]*\Z")
_DIGEST = re.compile(r"^[0-9a-f]{64}\Z")


def check_filing(
    report: object, parameters: object, as_of_position: object, digest: object, row_count: object
) -> None:
    """Refuse a filing that could not be reproduced (programmer input, mostly)."""
    name = limits.bounded_text(report, "report", REPORT_NAME_LENGTH_MAX)
    if not _REPORT_NAME.match(name):
        raise InvalidInput(f"report: not a report name: {name!r}", field="report")
    if not isinstance(parameters, dict) or len(parameters) > PARAMETERS_MAX:
        raise InvalidInput("parameters: at most 16 name -> text pairs", field="parameters")
    for key, value in parameters.items():
        limits.bounded_text(key, "parameters", PARAMETER_LENGTH_MAX)
        limits.bounded_text(value, f"parameters.{key}", PARAMETER_LENGTH_MAX)
    for field, number in (("as_of_position", as_of_position), ("row_count", row_count)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise InvalidInput(f"{field}: an integer >= 0", field=field)
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise InvalidInput("digest: 64 lowercase hex digits (SHA-256)", field="digest")


class ReportFiling(Aggregate):
    """One filed report."""

    class ReportFiled(Aggregate.Created):
        """``report`` and its ``parameters`` as of ``as_of_position``; ``row_count``
        rows with content ``digest`` (definition ``digest_version``)."""

        report: str
        parameters: dict[str, str]
        as_of_position: int
        digest: str
        digest_version: str
        row_count: int
        actor: str
        correlation_id: str

    def __init__(  # the ReportFiled fields; only assigns
        self,
        report: str,
        parameters: dict[str, str],
        as_of_position: int,
        digest: str,
        digest_version: str,
        row_count: int,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.report = report
        self.parameters = dict(parameters)
        self.as_of_position = as_of_position
        self.digest = digest
        self.digest_version = digest_version
        self.row_count = row_count
        self.filed_by = actor
        self.correlation_id = correlation_id

    @classmethod
    def filed(
        cls,
        *,
        id: UUID,
        report: str,
        parameters: dict[str, str],
        as_of_position: int,
        digest: str,
        digest_version: str,
        row_count: int,
        actor: str,
        correlation_id: str,
    ) -> ReportFiling:
        """A new report filing record."""
        return cls._create(
            cls.ReportFiled,
            id=id,
            report=report,
            parameters=parameters,
            as_of_position=as_of_position,
            digest=digest,
            digest_version=digest_version,
            row_count=row_count,
            actor=actor,
            correlation_id=correlation_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "filing_id": str(self.id),
            "report": self.report,
            "parameters": dict(self.parameters),
            "as_of_position": self.as_of_position,
            "digest": self.digest,
            "digest_version": self.digest_version,
            "row_count": self.row_count,
            "filed_by": self.filed_by,
            "filed_at": self.created_on.isoformat(),
            "correlation_id": self.correlation_id,
        }

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.report_filings", ReportFiling)
