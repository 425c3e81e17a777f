"""The callback receiver as Tencent reaches it: over real HTTP, signed with the test token."""

import time

import pytest

from pushclient import callbacks
from tests.emulator_process import SDKAPPID

TOKEN = "callback-token-for-tests-7c1f"


@pytest.fixture
def receiver(settings, live_server):
    settings.TIM_SDKAPPID = SDKAPPID
    settings.TIM_CALLBACK_TOKEN = TOKEN
    settings.TIM_CALLBACK_ALLOW_UNSIGNED = False
    return f"{live_server.url}/tencent/callback/"


def event(account="mary", stage=1, task="T1", platform=2, err=0, info="", data_id=""):
    return {"CallbackCommand": callbacks.COMMAND, "TaskId": task, "DataId": data_id,
            "TaskTime": int(time.time()) - 5, "EventTime": int(time.time()),
            "To_Account": account, "EventType": 1, "PushPlatform": platform, "PushStage": stage,
            "ErrCode": err, "ErrInfo": info}
