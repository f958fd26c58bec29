"""orjson transcoder for the event store.

Event fields are plain JSON values (str, int, bool, list, dict, None), so the
stored state can be read back with a single ``orjson.loads`` by projections
that skip the library's decoding. Keys are sorted: the stored bytes of an
event are canonical, which digests and hash chains rely on. The library's own
``timestamp`` is the one non-JSON field, restored to a datetime on decode.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from eventsourcing.persistence import Transcoder


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)

    def decode(self, data: bytes) -> Any:
        state = orjson.loads(data)
        timestamp = state.get("timestamp")
        if isinstance(timestamp, str):
            state["timestamp"] = datetime.fromisoformat(timestamp)
        return state
