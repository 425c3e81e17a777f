import pytest

from pushclient import TimClient
from tests.emulator_process import SDKAPPID, SECRET_KEY, EmulatorProcess


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
def client(emulator):
    client = TimClient(sdkappid=SDKAPPID, secret_key=SECRET_KEY, base_url=emulator.url,
                       backoff=0.01, read_timeout=2.0)
    yield client
    client.close()


TEXT = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hello"}}]
