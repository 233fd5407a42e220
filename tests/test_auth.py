import jwt
import pytest

from korecampaign_async import ConfigurationError, JWTAuth, StaticTokenAuth
from korecampaign_async.transport.auth import resolve_auth

SECRET = "test-secret-that-is-long-enough-for-hs512-keys-0123456789abcdef-0123"


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_token_is_hs256_with_app_id() -> None:
    token = JWTAuth("cs-123", SECRET).token()
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["appId"] == "cs-123"
    assert claims["exp"] > claims["iat"]


def test_hs512_selectable() -> None:
    token = JWTAuth("cs-123", SECRET, algorithm="HS512").token()
    assert jwt.get_unverified_header(token)["alg"] == "HS512"
    assert jwt.decode(token, SECRET, algorithms=["HS512"])["appId"] == "cs-123"


def test_token_cached_then_reminted_before_expiry() -> None:
    clock = FakeClock()
    auth = JWTAuth("cs-1", SECRET, ttl=600, refresh_margin=60, clock=clock)
    first = auth.token()
    clock.now += 500  # still 100 s before expiry, outside the margin
    assert auth.token() == first
    clock.now += 45  # 55 s before expiry: inside the margin
    second = auth.token()
    assert second != first
    assert jwt.decode(second, SECRET, algorithms=["HS256"], options={"verify_exp": False})["iat"] == int(clock.now)


def test_secrets_never_in_repr() -> None:
    auth = JWTAuth("cs-1", SECRET)
    token = auth.token()
    assert SECRET not in repr(auth) and token not in repr(auth)
    static = StaticTokenAuth("tok-abc-secret")
    assert "tok-abc-secret" not in repr(static)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"client_id": "", "client_secret": SECRET}, "client_id"),
        ({"client_id": "cs", "client_secret": ""}, "client_secret"),
        ({"client_id": "cs", "client_secret": SECRET, "algorithm": "RS256"}, "HS256"),
    ],
)
def test_bad_settings_raise(kwargs: dict[str, str], word: str) -> None:
    with pytest.raises(ConfigurationError, match=word):
        JWTAuth(**kwargs)  # type: ignore[arg-type]


def test_resolve_auth() -> None:
    assert resolve_auth("tok").token() == "tok"
    auth = JWTAuth("cs", SECRET)
    assert resolve_auth(auth) is auth
    with pytest.raises(ConfigurationError):
        resolve_auth(42)  # type: ignore[arg-type]
