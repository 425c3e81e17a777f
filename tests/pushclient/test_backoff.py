"""One backoff rule for every retry owner: doubling, spread, capped."""

from pushclient import backoff_seconds


def test_it_doubles_from_the_base_within_half_to_one_and_a_half_times():
    for retry, middle in [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0)]:
        delays = [backoff_seconds(retry, base=0.25) for _ in range(200)]
        assert all(0.5 * middle <= d <= 1.5 * middle for d in delays)
        assert max(delays) - min(delays) > 0.5 * middle, "spread, so failures do not re-align"


def test_it_never_waits_longer_than_the_cap():
    assert max(backoff_seconds(30, base=1, cap=60) for _ in range(100)) <= 60


def test_a_client_for_a_caller_that_owns_retries_shares_connections_and_identity(tim_client):
    single = tim_client.with_retries(0)
    assert (single.retries, tim_client.retries) == (0, 3)
    assert single._session is tim_client._session and single._usersig is tim_client._usersig
    assert single.members._client is single and tim_client.members._client is tim_client
