"""Discord's rate limits: per-route buckets with ``X-RateLimit-*`` headers, and a global limit.

A bucket is a route (method + path template) and its major parameter (a channel, a guild,
a webhook or interaction token): requests to the same route in two channels count apart,
and every message route of one channel shares the per-channel message bucket, as on
Discord. Each bucket allows ``limit`` requests per window of ``per`` seconds that starts
with its first request. The global limit (50 requests a second) counts every request made
with the bot token except interaction endpoints (callbacks and interaction webhooks),
which Discord exempts.

The values are the emulator's; a client must follow the headers, never these numbers.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass, field

GLOBAL_PER_SECOND = 50

# (method, template) -> (limit, per seconds). Templates use {channel}, {guild}, {token}, {id}.
ROUTE_LIMITS: dict[tuple[str, str], tuple[int, float]] = {
    ("POST", "/channels/{channel}/messages"): (5, 5.0),
    ("PATCH", "/channels/{channel}/messages/{id}"): (5, 5.0),
    ("DELETE", "/channels/{channel}/messages/{id}"): (5, 1.0),
    ("GET", "/channels/{channel}/messages/{id}"): (5, 1.0),
    ("GET", "/channels/{channel}"): (5, 1.0),
    ("PUT", "/applications/{id}/commands"): (2, 1.0),
    ("PUT", "/applications/{id}/guilds/{guild}/commands"): (2, 1.0),
    ("POST", "/webhooks/{id}/{token}"): (5, 2.0),
    ("PATCH", "/webhooks/{id}/{token}/messages/{id}"): (5, 2.0),
    ("GET", "/webhooks/{id}/{token}/messages/{id}"): (5, 2.0),
    ("DELETE", "/webhooks/{id}/{token}/messages/{id}"): (5, 2.0),
}
DEFAULT_LIMIT = (10, 1.0)
# Routes that share one bucket per channel (the message bucket).
SHARED = {("POST", "/channels/{channel}/messages"): "messages",
          ("PATCH", "/channels/{channel}/messages/{id}"): "messages"}


def template_of(path: str) -> tuple[str, str]:
    """``/channels/123/messages/456`` -> (``/channels/{channel}/messages/{id}``, ``123``)."""
    parts = path.strip("/").split("/")
    major = ""
    out = []
    for i, part in enumerate(parts):
        previous = parts[i - 1] if i else ""
        if previous == "channels":
            out.append("{channel}")
            major = part
        elif previous == "guilds":
            out.append("{guild}")
            major = major or part
        elif previous in ("webhooks",) and i == 1:
            out.append("{id}")
        elif parts[0] in ("webhooks", "interactions") and i == 2:
            out.append("{token}")
            major = part
        elif re.fullmatch(r"[0-9]+|@original", part) and previous not in ("users",):
            out.append("{id}")
        else:
            out.append(part)
    return "/" + "/".join(out), major


def is_interaction_endpoint(path: str) -> bool:
    parts = path.strip("/").split("/")
    return parts[0] == "interactions" or (parts[0] == "webhooks" and len(parts) >= 3)


def _ceil_ms(seconds: float) -> float:
    return math.ceil(max(0.0, seconds) * 1000) / 1000


@dataclass
class Bucket:
    limit: int
    per: float
    name: str
    count: int = 0
    window_start: float = 0.0

    def reset_after(self, now: float) -> float:
        return max(0.0, self.window_start + self.per - now)


@dataclass
class Verdict:
    """What a request gets: headers to add, and a 429 body when it is refused."""

    headers: dict[str, str] = field(default_factory=dict)
    refused: dict[str, object] | None = None


class RateLimiter:
    """The buckets and the global window of one emulator."""

    def __init__(self, global_per_second: int = GLOBAL_PER_SECOND, global_window: float = 1.0) -> None:
        self.global_per_second = global_per_second  # requests per ``global_window`` seconds
        self.global_window = global_window
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self._global: list[float] = []
        self.overrides: dict[tuple[str, str], tuple[int, float]] = {}

    def set_limit(self, method: str, template: str, limit: int, per: float) -> None:
        """Change one route's bucket (e.g. to make a test hit it quickly)."""
        self.overrides[(method, template)] = (limit, per)
        self.buckets.clear()

    def check(self, method: str, path: str, *, global_exempt: bool) -> Verdict:
        now = time.monotonic()
        template, major = template_of(path)
        verdict = Verdict()
        if not global_exempt:
            self._global = [t for t in self._global if now - t < self.global_window]
            if len(self._global) >= self.global_per_second:
                retry = _ceil_ms(self.global_window - (now - self._global[0]))
                verdict.headers.update({"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global",
                                        "Retry-After": str(math.ceil(retry)), "Via": "1.1 google"})
                verdict.refused = {"message": "You are being rate limited.", "retry_after": retry,
                                   "global": True, "code": 0}
                return verdict
            self._global.append(now)
        route = (method, template)
        limit, per = self.overrides.get(route) or ROUTE_LIMITS.get(route, DEFAULT_LIMIT)
        key = (SHARED.get(route, f"{method} {template}"), major)
        bucket = self.buckets.get(key)
        if bucket is None:
            name = hashlib.sha1(key[0].encode()).hexdigest()[:16]
            bucket = self.buckets[key] = Bucket(limit, per, name)
        if now >= bucket.window_start + bucket.per:
            bucket.count, bucket.window_start = 0, now
        reset_after = _ceil_ms(bucket.reset_after(now))  # never early: a client sleeps this long
        verdict.headers.update({
            "X-RateLimit-Limit": str(bucket.limit), "X-RateLimit-Bucket": bucket.name,
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        })
        if bucket.count >= bucket.limit:
            verdict.headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user",
                                    "Retry-After": str(math.ceil(reset_after)), "Via": "1.1 google"})
            verdict.refused = {"message": "You are being rate limited.",
                               "retry_after": reset_after, "global": False, "code": 0}
            return verdict
        bucket.count += 1
        verdict.headers["X-RateLimit-Remaining"] = str(bucket.limit - bucket.count)
        return verdict
