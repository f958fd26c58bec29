"""Audit trail bodies: events, entity histories, chain verification and proofs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    position: int
    recorded_at: str
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    event_type: str


class AuditPage(BaseModel):
    events: list[AuditEvent]
    next_cursor: str | None


class HistoryOut(BaseModel):
    entity_id: str
    events: list[dict[str, object]]


class ChainReport(BaseModel):
    ok: bool
    events_checked: int
    chain_length: int
    first_bad_position: int | None
    checkpoints_checked: int
    problems: list[str]
    public_key_id: str | None


class ProvenEvent(BaseModel):
    topic: str
    originator_id: str
    originator_version: int
    state_base64: str


class InclusionProofOut(BaseModel):
    log_position: int
    position: int = Field(description="chain position (gap-free, from 1)")
    leaf_hash: str
    tree_size: int
    path: list[str]
    checkpoint: str = Field(description="the signed checkpoint, as text")
    event: ProvenEvent


class ConsistencyProofOut(BaseModel):
    old_size: int
    new_size: int
    path: list[str]
