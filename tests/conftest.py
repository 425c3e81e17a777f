import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from pushclient import TimClient
from tests.emulator_process import SDKAPPID, SECRET_KEY, EmulatorProcess
from tests.stack import PrivateRedis


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Failed-login counts live in the cache; each test starts with none."""
    if "django_db_setup" in request.fixturenames or request.node.get_closest_marker("django_db"):
        from django.core.cache import cache
        cache.clear()


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    iterations = 1000


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashes():
    """Django's PBKDF2 with 1,000 rounds instead of 1,000,000 for the people tests make: the
    hash keeps its algorithm and records its rounds, so every process (runserver, gunicorn, the
    image's) still checks these passwords with its own settings."""
    from django.test import override_settings
    with override_settings(PASSWORD_HASHERS=["tests.conftest.QuickPBKDF2PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _default_language_after():
    """A page asked for in Chinese activates Chinese in the test's thread (LocaleMiddleware does
    not undo it); every test starts in the default language whatever ran before it."""
    yield
    from django.conf import settings
    from django.utils import translation
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def emulator_process(tmp_path_factory):
    process = EmulatorProcess(str(tmp_path_factory.mktemp("emulator") / "state.sqlite3")).start()
    yield process
    process.stop()


@pytest.fixture
def emulator(emulator_process):
    """The running emulator, emptied, with default config and no faults."""
    emulator_process.post("reset")
    return emulator_process


@pytest.fixture
def tim_client(emulator):
    client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=emulator.url,
                       backoff=0.01, read_timeout=2.0)
    yield client
    client.close()


TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello"}}]


@pytest.fixture
def tim(settings, emulator):
    """Point the product at the emulator, with a short read timeout for stalled answers."""
    from core import tencent
    settings.TIM_API_BASE_URL = emulator.url
    settings.TIM_REGION = ""
    settings.TIM_SDKAPPID = SDKAPPID
    settings.TIM_SECRET_KEY = SECRET_KEY
    settings.TIM_READ_TIMEOUT_SECONDS = 1.5
    settings.DISPATCH_POLL_SECONDS = 0.02
    tencent.clear()
    yield emulator
    tencent.clear()


OTHER_SDKAPPID = 1400000777
OTHER_KEY = "the-international-apps-own-secret-key-0001"


@pytest.fixture
def two_apps(tim, admin_user):
    """The default app (TIM_* settings) and an international one ("intl"), each emulated on its
    own by the one emulator (POST /emulator/apps), emptied."""
    from core.chat_apps import app_save, default_app
    answer = requests.post(f"{tim.url}/emulator/apps", json={
        "sdkappid": OTHER_SDKAPPID, "secret_key": OTHER_KEY}, timeout=10)
    assert answer.status_code in (200, 201, 409), answer.text  # 409: added by an earlier test
    tim.post("reset", sdkappid=OTHER_SDKAPPID)
    other = app_save(user=admin_user, values={
        "name": "Shop International", "slug": "intl", "sdkappid": OTHER_SDKAPPID,
        "base_url": tim.url}, secret_key=OTHER_KEY)
    return default_app(), other


def make_user(username, *groups, **extra):
    from django.contrib.auth.models import Group, User
    user = User.objects.create_user(username, password="pw-" + username, **extra)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


@pytest.fixture
def marketer(db):
    return make_user("mia", "Marketers")


@pytest.fixture
def admin_user(db):
    return make_user("ada", "Admins", is_staff=True)


# Nothing listens on port 1: a Redis there is a Redis that is down.
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def queue_down(settings):
    """The Celery broker (the job queue) down: the app publishes to DEAD_REDIS, and its pools,
    made for the real broker, are dropped before and after."""
    from celery import current_app
    conf = current_app.conf

    def reset_pools():
        current_app._pool = None
        current_app.amqp._producer_pool = None

    before = (conf.broker_url, conf.broker_transport, settings.CELERY_BROKER_URL)
    conf.broker_url, conf.broker_transport = DEAD_REDIS, None
    settings.CELERY_BROKER_URL = DEAD_REDIS
    reset_pools()
    yield
    conf.broker_url, conf.broker_transport = before[0], before[1]
    reset_pools()


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own, which it may stop and restart (see PrivateRedis)."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = PrivateRedis(folder).start()
    yield server
    server.stop()
