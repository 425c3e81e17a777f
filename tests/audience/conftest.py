import pytest


@pytest.fixture
def admin(client, admin_user, tim):
    """The test client, logged in as an admin, the product pointed at the emulator."""
    client.force_login(admin_user)
    return client
