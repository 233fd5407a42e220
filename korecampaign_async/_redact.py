"""Secrets out of every message: database URLs masked in all the forms libpq accepts, and a
last line of defence for text the SDK did not build itself (a driver's error message).

:func:`mask_url` hides the password of a connection string, whatever its form:
``postgresql://user:PASSWORD@host/db``, ``postgresql://user@host/db?password=PASSWORD``
(also ``sslpassword``), and libpq's ``host=h password=PASSWORD`` key/value form.
:func:`remember_secret` records a secret the process holds (a database password, the client
secret, a token, a Redis password); :func:`redact` replaces every remembered secret in a
text. The CLI passes every line it prints through :func:`redact`; the sync stores its
``sync_runs.error`` through it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["MASK", "mask_url", "redact", "remember_secret"]

MASK = "***"
#: query or key/value parameters whose value is a secret (libpq's names)
_SECRET_KEYS = frozenset({"password", "sslpassword"})
_KEYVALUE = re.compile(r"(?P<key>\b(?:sslpassword|password))\s*=\s*(?P<value>'(?:[^'\\]|\\.)*'|[^\s]+)", re.I)
_secrets: set[str] = set()


def remember_secret(value: str | None) -> None:
    """Remember ``value`` (and its URL-encoded form) so :func:`redact` hides it. Values
    shorter than 4 characters are ignored: masking them would mangle ordinary words."""
    if value and len(value) >= 4:
        _secrets.add(value)
        _secrets.add(quote(value, safe=""))


def redact(text: str) -> str:
    """``text`` with every remembered secret replaced by ``***`` (longest first)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def mask_url(url: str) -> str:
    """``url`` with its password masked (userinfo, ``password=``/``sslpassword=`` in the query,
    or libpq's ``key=value`` form), for logs, errors, ``--json`` output and ``sync_runs``.
    Every password found is also remembered for :func:`redact`."""
    if "://" not in url:  # libpq key/value: host=h dbname=d password=secret
        for match in _KEYVALUE.finditer(url):
            remember_secret(match.group("value").strip("'"))
        return _KEYVALUE.sub(lambda m: f"{m.group('key')}={MASK}", url)
    try:
        parts = urlsplit(url)
        password = parts.password
        port = parts.port
    except ValueError:
        return "<unparsable database URL>"
    netloc = parts.netloc
    changed = False
    if password is not None:
        changed = True
        remember_secret(unquote(password))
        host = parts.hostname or ""
        if port:
            host += f":{port}"
        netloc = f"{parts.username or ''}:{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() in _SECRET_KEYS for key, _ in pairs):
            for key, value in pairs:
                if key.lower() in _SECRET_KEYS:
                    remember_secret(value)
            query = urlencode([(k, MASK if k.lower() in _SECRET_KEYS else v) for k, v in pairs], safe="*")
            changed = True
    # unchanged URLs are returned as given (urlunsplit would turn sqlite:///x into sqlite:/x)
    return urlunsplit(parts._replace(netloc=netloc, query=query)) if changed else url
