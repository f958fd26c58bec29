"""A projection worker process for crash tests:
``python -m tests.faults.projection_worker URL PAGE_SIZE [PAUSE_S]``.

Folds the log in small pages (many transactions) until killed. ``PAUSE_S``
between pages keeps a round of work longer than the test's kill delays on a
fast machine (the fold itself got several times faster), so kills land while
work is left.
"""

from __future__ import annotations

import sys
import time

from adapters.database import parse_database_url
from projections.ledger.runner import ProjectionService


def main() -> None:
    url, page_size = sys.argv[1], int(sys.argv[2])
    pause_s = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    service = ProjectionService(
        parse_database_url(url), page_size=page_size, catch_up_on_query=False
    )
    print("ready", flush=True)
    if pause_s <= 0:
        service.run_forever(poll_interval_s=0.01)
        return
    while True:  # one page per transaction, a pause between pages
        tracked = service.store.tracked_position() if service.store.tables_exist() else 0
        service.catch_up(up_to=tracked + page_size)
        time.sleep(pause_s)


if __name__ == "__main__":
    main()
