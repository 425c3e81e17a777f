"""UserSig compatibility with the official tls-sig-api-v2 package and the spec §6.4 vectors."""

import base64
import json
import zlib

import pytest
import TLSSigAPIv2
from hypothesis import given, settings
from hypothesis import strategies as st

from pushclient import usersig
from pushclient.client import UserSigCache

KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
SDKAPPID = 1400000000
VECTOR_1 = ("eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZ"
            "lAqUsTAzgQuWZOaChAzN0RQXZ6aDLKn0cUzVLjcPD00NLS1MCrPM0A*JMLcoNTLMD3HP1M60jCowLDUOKMiLNDOwVaoFA"
            "D4PNPI_")
VECTOR_2 = ("eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-NgUsUp2YkFBZkpQAlDEwMogMqlVhRkFqWCZExNTY0Q"
            "4iWZuWBRczT1xZnpIPONk7NC8vz107199LXdIryCHF2cvQ3DjJNzvMsqzapMfSNz8yxd-SKKw7M9bZVqAWFSMd8_")
GO_STYLE_VECTOR_1 = (
    "eAEBrwBQ-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoiYWRtaW5pc3RyYXRvciIsIlRMUy5zZGthcHBp"
    "ZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6ODY0MDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoieUxB"
    "ZSt3N1dVZVV1cWJWOWgvVFg3OHUyMW9UR2kraTlacDF1M1Bwblk2MD0ifQrwJDOc")
ISSUED = 1700000000


def official_sig(monkeypatch, identifier, expire, now, key=KEY, sdkappid=SDKAPPID):
    monkeypatch.setattr(TLSSigAPIv2.time, "time", lambda: now)
    return TLSSigAPIv2.TLSSigAPIv2(sdkappid, key).gen_sig(identifier, expire)


def test_it_reproduces_the_spec_vectors_byte_for_byte():
    assert usersig.generate(sdkappid=SDKAPPID, key=KEY, identifier="administrator",
                            expire=86400, now=ISSUED) == VECTOR_1
    assert usersig.generate(sdkappid=SDKAPPID, key=KEY, identifier="admin",
                            expire=15552000, now=ISSUED) == VECTOR_2


def test_it_verifies_the_go_style_uncompressed_encoding():
    assert zlib.decompress(base64.b64decode(
        GO_STYLE_VECTOR_1.replace("_", "=").replace("-", "/").replace("*", "+")))[-1:] == b"\n"
    claims = usersig.verify(GO_STYLE_VECTOR_1, sdkappid=SDKAPPID, key=KEY,
                            identifier="administrator", now=ISSUED)
    assert claims.expires_at == ISSUED + 86400


@pytest.mark.parametrize("now, identifier, sdkappid, key, code", [
    (ISSUED + 86400 + 1, "administrator", SDKAPPID, KEY, 70001),
    (ISSUED, "admin", SDKAPPID, KEY, 70013),
    (ISSUED, "administrator", SDKAPPID + 1, KEY, 70014),
    (ISSUED, "administrator", SDKAPPID, KEY[:-1] + "f", 70009),
])
def test_it_refuses_the_spec_vector_with_the_servers_code(now, identifier, sdkappid, key, code):
    with pytest.raises(usersig.UserSigInvalid) as refused:
        usersig.verify(VECTOR_1, sdkappid=sdkappid, key=key, identifier=identifier, now=now)
    assert refused.value.code == code


def test_it_is_still_valid_at_exactly_time_plus_expire():
    usersig.verify(VECTOR_1, sdkappid=SDKAPPID, key=KEY, identifier="administrator",
                   now=ISSUED + 86400)


@pytest.mark.parametrize("text, code", [("", 70002), ("not-a-sig", 70003),
                                        (VECTOR_1[:40], 70003)])
def test_it_refuses_empty_and_truncated_sigs(text, code):
    with pytest.raises(usersig.UserSigInvalid) as refused:
        usersig.verify(text, sdkappid=SDKAPPID, key=KEY, identifier="administrator", now=ISSUED)
    assert refused.value.code == code


@settings(max_examples=60, deadline=None)
@given(identifier=st.from_regex(r"[A-Za-z0-9_\-]{1,32}", fullmatch=True),
       expire=st.integers(1, 10 * 365 * 86400), now=st.integers(1_500_000_000, 2_000_000_000))
def test_it_agrees_with_the_official_package_both_ways(identifier, expire, now):
    with pytest.MonkeyPatch.context() as mp:
        theirs = official_sig(mp, identifier, expire, now)
    ours = usersig.generate(sdkappid=SDKAPPID, key=KEY, identifier=identifier, expire=expire,
                            now=now)
    assert ours == theirs
    assert usersig.verify(theirs, sdkappid=SDKAPPID, key=KEY, identifier=identifier,
                          now=now + expire).identifier == identifier
    # The other direction: the official package's own decoder reads ours.
    decoded = json.loads(zlib.decompress(TLSSigAPIv2.base64_decode_url(ours.encode())))
    assert decoded["TLS.identifier"] == identifier and decoded["TLS.expire"] == expire


def test_the_cache_reuses_a_sig_and_renews_it_after_half_its_life(monkeypatch):
    clock = [ISSUED]
    monkeypatch.setattr(usersig.time, "time", lambda: clock[0])
    monkeypatch.setattr("pushclient.client.time.time", lambda: clock[0])
    cache = UserSigCache(sdkappid=SDKAPPID, secret_key=KEY, identifier="administrator", ttl=86400)
    first = cache.get()
    clock[0] = ISSUED + 43199
    assert cache.get() == first
    clock[0] = ISSUED + 43200
    renewed = cache.get()
    assert renewed != first
    assert usersig.decode(renewed).issued_at == ISSUED + 43200
