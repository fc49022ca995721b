"""The learning-record-store connector: statements read live from an LRS's statements resource.

``--outcomes lrs:lrs.toml`` names a configuration file (see the plugin README)::

    endpoint = "https://lrs.acme.example/xAPI/"   # the statements resource is endpoint + "statements"
    since = "2026-01-01T00:00:00Z"                # optional, stored after this instant
    until = "2026-04-01T00:00:00Z"                # optional, stored at or before this instant
    key_env = "LRS_KEY"                           # Basic auth from these environment variables...
    secret_env = "LRS_SECRET"
    # credentials_file = "lrs.credentials"        # ...or from a file holding KEY:SECRET
    mapping = "acme.xapi.toml"                    # or [activities] / [assessments] / [verbs] inline

The key and secret are never read from the command line or the configuration
itself (both end up in shell history and in git). Requests carry
``X-Experience-API-Version: 1.0.3``; pages are followed through ``more`` until
it is empty (an empty page with a ``more`` link is followed, not taken as the
end); a ``more`` link to another scheme, host or port is refused, since the
credentials would go with it. ``X-Experience-API-Consistent-Through`` is
honoured when the LRS sends it: statements stored after that instant may not
all be visible yet, so they are left out (and counted in a note) and read by a
later run. Statements are de-duplicated by id (an LRS may repeat one across
pages while it is being written to).

The HTTP client is the standard library's ``urllib``: a GET with headers, a
timeout and a few retries is all the connector needs, and no third-party
client means nothing to pin against the rest of the environment. Connection
failures, timeouts, 429 and 5xx answers are retried (``retries``, waiting
``retry_wait`` seconds, doubled each time); 401/403 and other answers fail at
once. Every failure is one located line (BP495, BP496, BP497).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from attrs import frozen

from budgetpolicy.errors import DataError, Location
from budgetpolicy.policy.locate import TomlLocator
from budgetpolicy_xapi.mapping import ActivityMapping, load_mapping, mapping_from_tables

__all__ = ["Fetched", "LrsConfig", "VERSION", "fetch_statements", "load_config"]

VERSION = "1.0.3"
KEYS = {"endpoint", "since", "until", "limit", "key_env", "secret_env", "credentials_file", "timeout", "retries",
        "retry_wait", "skip_invalid", "mapping", "activities", "assessments", "verbs"}
DEFAULT_KEY_ENV, DEFAULT_SECRET_ENV = "BUDGETPOLICY_LRS_KEY", "BUDGETPOLICY_LRS_SECRET"


@frozen
class LrsConfig:
    endpoint: str
    authorization: str = ""
    since: str | None = None
    until: str | None = None
    limit: int | None = None
    timeout: float = 30.0
    retries: int = 3
    retry_wait: float = 1.0
    skip_invalid: bool = False
    mapping: ActivityMapping | None = None

    @property
    def statements_url(self) -> str:
        return self.endpoint.rstrip("/") + "/statements"


@frozen
class Fetched:
    """The statements read (unique ids, in the LRS's order) and what the reading saw."""

    statements: tuple[Any, ...]
    pages: int
    duplicates: int = 0
    consistent_through: str | None = None
    after_consistent: int = 0


def _config_error(message: str, file: str, locator: TomlLocator | None, key: str | None, hint: str) -> DataError:
    line = locator.line_of((key,)) if locator is not None and key else None
    return DataError(message, Location(file=file, line=line, key=key), hint=hint, code="BP498")


def load_config(path: str, environ: Mapping[str, str] = os.environ) -> LrsConfig:
    """Read and check an LRS configuration file; credentials from the environment or a file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise _config_error(f"cannot read the LRS configuration: {getattr(exc, 'strerror', None) or exc}", path,
                            None, None, "lrs:FILE names a TOML file (see the xapi plugin README)") from None
    locator = TomlLocator(text)
    for key in data:
        if key in ("key", "secret", "password", "username"):
            raise _config_error(f"'{key}' must not be written in the configuration", path, locator, key,
                                "give key_env/secret_env (environment variables) or credentials_file")
        if key not in KEYS:
            raise _config_error(f"unknown key '{key}'", path, locator, key, f"known keys: {', '.join(sorted(KEYS))}")
    endpoint = _endpoint(data.get("endpoint"), path, locator)
    for key in ("since", "until"):
        if key in data and not _instant(data[key]):
            raise _config_error(f"{key} must be an ISO 8601 time with a zone, got {data[key]!r}", path, locator, key,
                                'e.g. "2026-01-01T00:00:00Z"')
    if not isinstance(data.get("skip_invalid", False), bool):
        raise _config_error("skip_invalid must be true or false", path, locator, "skip_invalid", "skip_invalid = true")
    limit = _number(data, "limit", 1, path, locator)
    return LrsConfig(endpoint, _authorization(data, path, locator, environ), _text(data.get("since")),
                     _text(data.get("until")), None if limit is None else int(limit),
                     _number(data, "timeout", 0.001, path, locator, 30.0),
                     int(_number(data, "retries", 0, path, locator, 3)),
                     _number(data, "retry_wait", 0, path, locator, 1.0),
                     data.get("skip_invalid", False), _mapping(data, path, locator))


def _endpoint(endpoint: Any, path: str, locator: TomlLocator) -> str:
    parts = urllib.parse.urlsplit(endpoint) if isinstance(endpoint, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _config_error(f"endpoint must be an http(s) URL, got {endpoint!r}", path, locator,
                            "endpoint" if endpoint is not None else None, 'e.g. endpoint = "https://lrs.example/xAPI/"')
    if parts.username or parts.password:
        raise _config_error("the endpoint URL must not carry credentials", path, locator, "endpoint",
                            "give key_env/secret_env or credentials_file")
    return str(endpoint)


def _number(data: Mapping[str, Any], key: str, low: float, path: str, locator: TomlLocator,
            default: float | None = None) -> Any:
    value = data.get(key, default)
    whole = key in ("limit", "retries")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or value < low:
        raise _config_error(f"{key} must be a {'whole ' if whole else ''}number >= {low:g}, got {value!r}", path,
                            locator, key, "see the xapi plugin README")
    return value if whole else float(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _instant(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return value.tzinfo is not None
    try:
        return isinstance(value, str) and dt.datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _mapping(data: Mapping[str, Any], path: str, locator: TomlLocator) -> ActivityMapping | None:
    inline = [name for name in ("activities", "assessments", "verbs") if name in data]
    if "mapping" in data:
        if inline:
            raise _config_error(f"both mapping and an inline [{inline[0]}]", path, locator, inline[0],
                                "keep the mapping in one place")
        if not isinstance(data["mapping"], str):
            raise _config_error("mapping must be a file path", path, locator, "mapping", 'mapping = "acme.xapi.toml"')
        return load_mapping(str(Path(path).parent / data["mapping"]))
    return mapping_from_tables(data, path, locator, ()) if inline else None


def _authorization(data: Mapping[str, Any], path: str, locator: TomlLocator, environ: Mapping[str, str]) -> str:
    if "credentials_file" in data:
        file = Path(path).parent / str(data["credentials_file"])
        try:
            pair = file.read_text(encoding="utf-8").strip().splitlines()[0] if file.stat().st_size else ""
        except OSError as exc:
            raise _config_error(f"cannot read the credentials file {file}: {exc.strerror or exc}", path, locator,
                                "credentials_file", "the file holds one line, KEY:SECRET") from None
        key, sep, secret = pair.partition(":")
        if not (sep and key and secret):
            raise _config_error(f"the credentials file {file} must hold one line KEY:SECRET", path, locator,
                                "credentials_file", "write the LRS key and secret separated by ':'")
    else:
        key_env, secret_env = data.get("key_env", DEFAULT_KEY_ENV), data.get("secret_env", DEFAULT_SECRET_ENV)
        key, secret = environ.get(str(key_env), ""), environ.get(str(secret_env), "")
        if not (key and secret):
            missing = key_env if not key else secret_env
            raise _config_error(f"the LRS credentials are not set: ${missing} is empty", path, locator,
                                "key_env" if "key_env" in data else None,
                                f"export {key_env} and {secret_env}, or give credentials_file")
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")


def fetch_statements(config: LrsConfig) -> Fetched:
    """Every statement the LRS holds in the configured window, following ``more`` to the end."""
    query = {k: v for k, v in (("since", config.since), ("until", config.until),
                               ("limit", None if config.limit is None else str(config.limit))) if v is not None}
    url = config.statements_url + ("?" + urllib.parse.urlencode(query) if query else "")
    origin = _origin(config.statements_url)
    seen_urls: set[str] = set()
    ids: set[Any] = set()
    out: list[Any] = []
    pages = duplicates = 0
    consistent: str | None = None
    while url:
        seen_urls.add(url)
        doc, header = _page(url, config)
        pages += 1
        consistent = consistent or header
        for statement in doc["statements"]:
            sid = statement.get("id") if isinstance(statement, Mapping) else None
            if sid is not None and sid in ids:
                duplicates += 1
                continue
            ids.add(sid)
            out.append(statement)
        url = _next(doc.get("more"), url, origin, seen_urls)
    kept, late = _consistent(out, consistent)
    return Fetched(tuple(kept), pages, duplicates, consistent, late)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _next(more: Any, url: str, origin: tuple[str, str, int | None], seen: set[str]) -> str:
    if more in (None, ""):
        return ""
    where = Location(file=url, field="more")
    if not isinstance(more, str):
        raise DataError(f"the LRS answered a 'more' that is not a URL: {more!r}", where,
                        hint="the LRS's statements response is malformed", code="BP496")
    target = urllib.parse.urljoin(url, more)
    if _origin(target) != origin:
        raise DataError(f"the LRS's 'more' link points to another host: {more}", where,
                        hint="refused so the credentials stay with the configured endpoint; check the LRS's "
                             "public URL setting", code="BP497")
    if target in seen:
        raise DataError(f"the LRS's 'more' link repeats a page already read: {more}", where,
                        hint="the LRS is paging in a loop", code="BP497")
    return target


def _consistent(statements: list[Any], through: str | None) -> tuple[list[Any], int]:
    """Statements stored at or before the LRS's consistent-through instant, and how many were later."""
    if through is None:
        return statements, 0
    try:
        limit = dt.datetime.fromisoformat(through)
    except ValueError:
        return statements, 0  # a header we cannot read is not a reason to drop statements
    kept = []
    for statement in statements:
        stored = statement.get("stored") if isinstance(statement, Mapping) else None
        try:
            later = isinstance(stored, str) and dt.datetime.fromisoformat(stored) > limit
        except (ValueError, TypeError):
            later = False
        if not later:
            kept.append(statement)
    return kept, len(statements) - len(kept)


def _page(url: str, config: LrsConfig) -> tuple[dict[str, Any], str | None]:
    body, header = _get(url, config)
    try:
        doc = json.loads(body, parse_float=Decimal)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"the LRS answered malformed JSON: {exc}", Location(file=url),
                        hint="is the endpoint the LRS's xAPI root (ending in /xAPI/ or similar)?",
                        code="BP496") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("statements"), list):
        raise DataError('the LRS answered JSON that is not a statements result {"statements": [...], "more": ...}',
                        Location(file=url), hint="is the endpoint the LRS's xAPI root?", code="BP496")
    return doc, header


def _get(url: str, config: LrsConfig) -> tuple[bytes, str | None]:
    request = urllib.request.Request(url, headers={"Authorization": config.authorization,
                                                   "X-Experience-API-Version": VERSION,
                                                   "Accept": "application/json"})
    attempts = config.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=config.timeout) as response:  # noqa: S310 (http(s) only)
                return response.read(), response.headers.get("X-Experience-API-Consistent-Through")
        except urllib.error.HTTPError as exc:
            retry = exc.code == 429 or exc.code >= 500
            failure = _http_failure(exc, url)
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            retry = True
            reason = getattr(exc, "reason", exc)
            failure = DataError(f"the LRS is unreachable: {reason}", Location(file=url),
                                hint="check the endpoint and the network (timeout "
                                     f"{config.timeout:g} s)", code="BP495")
        if not retry or attempt == attempts:
            if retry and attempts > 1:
                d = failure.diagnostics[0]
                raise DataError(f"{d.message} (after {attempts} attempts)", d.location, hint=d.hint, code=d.code)
            raise failure
        time.sleep(config.retry_wait * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # the loop always returns or raises


def _http_failure(exc: urllib.error.HTTPError, url: str) -> DataError:
    where = Location(file=url)
    if exc.code in (401, 403):
        return DataError(f"the LRS refused the credentials (HTTP {exc.code})", where,
                         hint="check the key and secret (key_env/secret_env or credentials_file) and their scope",
                         code="BP495")
    detail = exc.read()[:200].decode("utf-8", "replace").strip()
    return DataError(f"the LRS answered HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else ""), where,
                     hint="a 5xx is the LRS's own failure, retried; other answers mean the request was refused",
                     code="BP495")
