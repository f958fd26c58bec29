"""A projection worker process for crash tests: ``python -m tests.projection_worker URL PAGE_SIZE``.

Folds the log in small pages (many transactions) until killed.
"""

from __future__ import annotations

import sys

from backoffice.settings import parse_database_url
from projections.runner import ProjectionService


def main() -> None:
    url, page_size = sys.argv[1], int(sys.argv[2])
    service = ProjectionService(parse_database_url(url), page_size=page_size, catch_up_on_query=False)
    print("ready", flush=True)
    service.run_forever(poll_interval_s=0.01)


if __name__ == "__main__":
    main()
