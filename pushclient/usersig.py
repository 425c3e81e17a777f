"""TLSSigAPIv2 UserSig: HMAC-SHA256 signatures that authenticate REST calls (spec §6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass

DEFAULT_EXPIRE_SECONDS = 180 * 86400

# Error codes of spec §1.4 that a failed verification maps to.
EMPTY = 70002
EXPIRED = 70001
UNPARSABLE = 70003
SIG_MISMATCH = 70009
IDENTIFIER_MISMATCH = 70013
SDKAPPID_MISMATCH = 70014


class UserSigInvalid(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _signature(key: str, identifier: str, sdkappid: int, issued_at: int, expire: int) -> str:
    # Line order is fixed by the official libraries, not by the JSON order (spec §6.2 step 2).
    content = (
        f"TLS.identifier:{identifier}\n"
        f"TLS.sdkappid:{sdkappid}\n"
        f"TLS.time:{issued_at}\n"
        f"TLS.expire:{expire}\n"
    )
    digest = hmac.new(key.encode(), content.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _to_url_safe(raw: bytes) -> str:
    return base64.b64encode(raw).decode().replace("+", "*").replace("/", "-").replace("=", "_")


def _from_url_safe(usersig: str) -> bytes:
    return base64.b64decode(usersig.replace("_", "=").replace("-", "/").replace("*", "+"), validate=True)


def generate(
    *, sdkappid: int, key: str, identifier: str, expire: int = DEFAULT_EXPIRE_SECONDS,
    now: float | None = None,
) -> str:
    issued_at = int(time.time() if now is None else now)
    document = {
        "TLS.ver": "2.0",
        "TLS.identifier": identifier,
        "TLS.sdkappid": sdkappid,
        "TLS.expire": expire,
        "TLS.time": issued_at,
        "TLS.sig": _signature(key, identifier, sdkappid, issued_at, expire),
    }
    return _to_url_safe(zlib.compress(json.dumps(document).encode()))


@dataclass(frozen=True)
class UserSigClaims:
    identifier: str
    sdkappid: int
    issued_at: int
    expire: int

    @property
    def expires_at(self) -> int:
        return self.issued_at + self.expire


def _document(usersig: str) -> dict:
    if not usersig:
        raise UserSigInvalid(EMPTY, "UserSig is empty")
    try:
        document = json.loads(zlib.decompress(_from_url_safe(usersig)))
    except (ValueError, zlib.error) as exc:
        raise UserSigInvalid(UNPARSABLE, "UserSig could not be parsed") from exc
    if not isinstance(document, dict):
        raise UserSigInvalid(UNPARSABLE, "UserSig could not be parsed")
    return document


def decode(usersig: str) -> UserSigClaims:
    """Read a UserSig's claims without checking its signature; raises UserSigInvalid."""
    document = _document(usersig)
    try:
        return UserSigClaims(
            identifier=str(document["TLS.identifier"]),
            sdkappid=int(document["TLS.sdkappid"]),
            issued_at=int(document["TLS.time"]),
            expire=int(document["TLS.expire"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise UserSigInvalid(UNPARSABLE, "UserSig lacks a required member") from exc


def verify(
    usersig: str, *, sdkappid: int, key: str, identifier: str, now: float | None = None,
) -> UserSigClaims:
    """Check a UserSig the way the server does (spec §6.3); raises UserSigInvalid with its code."""
    document = _document(usersig)
    claims = decode(usersig)
    if claims.sdkappid != sdkappid:
        raise UserSigInvalid(SDKAPPID_MISMATCH, "SDKAppID in the request differs from the UserSig's")
    if claims.identifier != identifier:
        raise UserSigInvalid(IDENTIFIER_MISMATCH, "identifier in the request differs from the UserSig's")
    expected = _signature(key, claims.identifier, claims.sdkappid, claims.issued_at, claims.expire)
    if not hmac.compare_digest(expected, str(document["TLS.sig"])):
        raise UserSigInvalid(SIG_MISMATCH, "UserSig signature does not match the app's key")
    # Still valid at exactly time+expire (the official Go verifier uses a strict '>').
    if int(time.time() if now is None else now) > claims.expires_at:
        raise UserSigInvalid(EXPIRED, "UserSig has expired")
    return claims
