"""Reads pinned to a log position answer at that position or refuse; readiness
tells a load balancer when the read models are too far behind."""

from __future__ import annotations

from tests.api.support import ApiHarness, entry_body, open_usd_chart, running_api
from tests.api.test_problems import assert_problem


def _post_entries(api: ApiHarness, count: int) -> None:
    for _ in range(count):
        response = api.post(
            "/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Equity:Capital", "1.00")
        )
        assert response.status_code == 201, response.text


def test_at_position_beyond_the_head_is_refused_naming_the_head(database_url: str) -> None:
    with running_api(database_url, read_wait_s=0.1) as api:
        open_usd_chart(api)
        head = api.event_count()
        for path in ("/v1/trial-balance", "/v1/accounts/Assets:Bank/balance"):
            body = assert_problem(
                api.get(path, params={"at_position": head + 1}),
                422,
                "position_beyond_head",
                "at_position",
            )
            assert f"({head})" in body["detail"]


def test_at_position_at_the_head_answers_at_exactly_that_position(database_url: str) -> None:
    with running_api(database_url, read_wait_s=0.1) as api:
        open_usd_chart(api)
        _post_entries(api, 1)
        head = api.event_count()
        answer = api.get("/v1/trial-balance", params={"at_position": head})
        assert answer.status_code == 200, answer.text
        assert answer.json()["position"] == head


def test_readiness_is_503_while_a_projection_lags_past_the_limit(database_url: str) -> None:
    # Worker mode with no worker running: nothing folds, the lag stays.
    with running_api(database_url, ready_lag_max=3, projections="worker") as api:
        open_usd_chart(api)
        _post_entries(api, 3)
        ready = api.client.get("/health/ready")
        assert ready.status_code == 503, ready.text
        body = ready.json()
        assert body["status"] == "unavailable" and body["lagging"]
        assert all(body["projection_lag"][name] > 3 for name in body["lagging"])
        assert "more than 3 log positions behind" in body["detail"]
        assert api.client.get("/health/live").status_code == 200  # liveness does not look


def test_readiness_is_ok_within_the_limit(database_url: str) -> None:
    with running_api(database_url, ready_lag_max=10_000) as api:
        open_usd_chart(api)
        _post_entries(api, 3)
        ready = api.client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["projection_lag_max"] == 10_000


def test_in_inline_mode_the_probe_folds_a_lagging_projection_and_is_ready(
    database_url: str,
) -> None:
    """Reads fold on demand in inline mode; the probe folds what lags past the limit,
    so an instance that no read reaches becomes ready instead of staying unready."""
    with running_api(database_url, ready_lag_max=3) as api:
        open_usd_chart(api)
        _post_entries(api, 3)
        ready = api.client.get("/health/ready")
        assert ready.status_code == 200, ready.text
        assert all(behind <= 3 for behind in ready.json()["projection_lag"].values())
