"""A plain-Python client for Tencent Cloud Chat's push-to-all, attribute and tag REST APIs."""

from .client import (
    REGIONS,
    AccountError,
    BatchPushResult,
    BatchResult,
    PushResult,
    TimClient,
    push_body,
)
from .errors import ErrorKind, TencentError, backoff_seconds, classify, explain
from .payload import PayloadError, Violation

__all__ = [
    "REGIONS", "AccountError", "BatchPushResult", "BatchResult", "ErrorKind", "PayloadError", "PushResult",
    "TencentError", "TimClient", "Violation", "backoff_seconds", "classify", "explain",
    "push_body",
]
