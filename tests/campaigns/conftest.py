import pytest


@pytest.fixture
def api(client, marketer):
    """The test client with a token taken through POST /api/token/, as a script would."""
    answer = client.post("/api/token/", {"username": "mia", "password": "pw-mia"},
                         content_type="application/json")
    assert answer.status_code == 201
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {answer.json()['token']}"
    return client
