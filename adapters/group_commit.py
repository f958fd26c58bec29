"""Group commit: concurrent posting commands share commits.

The library's insert takes an exclusive table lock per commit, so one commit
per request tops out near 1,000 commits/s on PostgreSQL here. Callers hand
their command to the committer and wait for their own outcome; one thread
drains whatever has queued while the previous commit ran (up to
``batch_size_max``) and posts it with ``BackOffice.post_entries``. No timer
adds latency: under light load a batch is one command, under heavy load it
grows by itself. An outcome is delivered only after its commit returned, so
an acknowledged entry is durable.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from domain.application import BackOffice
from domain.kernel.errors import DomainError
from domain.ledger.commands import PostingOutcome, PostJournalEntry

BATCH_SIZE_MAX = 512
QUEUE_DEPTH_MAX = 10_000
WAIT_TIMEOUT_S = 30.0


class CommitterStopped(RuntimeError):
    """The committer is not running; nothing was written for this command."""


class CommitterOverloaded(RuntimeError):
    """Too many commands queued; nothing was written. Retry later."""


@dataclass(slots=True)
class _Request:
    command: PostJournalEntry
    future: Future[PostingOutcome]


class GroupCommitter:
    def __init__(self, app: BackOffice, *, batch_size_max: int = BATCH_SIZE_MAX) -> None:
        assert 1 <= batch_size_max <= 10_000
        self._app = app
        self._batch_size_max = batch_size_max
        self._queue: queue.Queue[_Request | None] = queue.Queue(maxsize=QUEUE_DEPTH_MAX)
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._running = False
        self.batches_committed = 0
        self.commands_committed = 0

    def start(self) -> GroupCommitter:
        self._running = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._queue.put(None)
            self._thread.join()

    def __enter__(self) -> GroupCommitter:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def submit(self, command: PostJournalEntry) -> Future[PostingOutcome]:
        if not self._running:
            raise CommitterStopped("the group committer is not running")
        request = _Request(command, Future())
        try:
            self._queue.put_nowait(request)
        except queue.Full:
            raise CommitterOverloaded(f"more than {QUEUE_DEPTH_MAX} commands queued") from None
        return request.future

    def post(self, command: PostJournalEntry, timeout_s: float = WAIT_TIMEOUT_S) -> PostingOutcome:
        """Post and wait for this command's own outcome; raises its refusal."""
        return self.submit(command).result(timeout=timeout_s)

    def _drain(self, first: _Request) -> tuple[list[_Request], bool]:
        batch = [first]
        stopping = False
        while len(batch) < self._batch_size_max:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                stopping = True
                break
            batch.append(item)
        return batch, stopping

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                break
            batch, stopping = self._drain(first)
            try:
                outcomes = self._app.post_entries([request.command for request in batch])
            except BaseException as error:  # the store failed: nobody in the batch is acknowledged
                for request in batch:
                    request.future.set_exception(error)
            else:
                for request, outcome in zip(batch, outcomes, strict=True):
                    if isinstance(outcome, DomainError):
                        request.future.set_exception(outcome)
                    else:
                        request.future.set_result(outcome)
                self.batches_committed += 1
                self.commands_committed += len(batch)
            if stopping:
                break
        # Refuse what is still queued rather than leave callers waiting.
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item.future.set_exception(CommitterStopped("the group committer stopped"))
