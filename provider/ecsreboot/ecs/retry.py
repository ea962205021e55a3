"""When to try a request again, how long to wait, and how fast to send at all.

Roles (as botocore splits them in botocore/retries/standard.py):

* ``RetryPolicy.should_retry`` -- the condition: not out of attempts, and either the error is
  retryable by code/status (``Throttling*``, ``ServiceUnavailable``,
  ``LimitedOperation.ServiceUnavailable``, ``InternalError``, any 5xx) or it is a transport error
  that proves nothing ran (``sent=False``), or one with ``sent=True`` on a retry-safe action.
* ``RetryPolicy.delay`` -- capped exponential backoff with full jitter,
  ``rand() * min(max_delay, base_delay * 2**attempt)``, never less than the server's
  ``x-acs-retry-after``.
* ``TokenBucket`` -- the client-side ``maxRequestsPerSecond``; one object per process, shared by
  every client.

Randomness and sleeping are passed in, so tests use a FakeClock and a fixed ``rand``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ..core.clock import Clock
from ..core.errors import ApiError, Cancelled, DeadlineExceeded, EcsError, TransportError, is_transient


@dataclass(frozen=True)
class RetryPolicy:
    """Which failures are tried again and how long to wait. Classified by code and status only.

    An error answer of the API is retryable for every action, reboots included: the service
    refused the request, so nothing ran. Transport errors that may have reached the server are
    retried only for retry-safe actions; for a reboot the caller must look at the instances first.
    """

    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    #: a server asking for more than this is not waited for longer (the deadline still applies)
    max_retry_after: float = 60.0

    def should_retry(self, error: EcsError, attempt: int, *, retry_safe: bool) -> bool:
        """``attempt`` counts retries already made (0 after the first failure)."""
        if attempt >= self.max_retries:
            return False
        if isinstance(error, ApiError):
            return is_transient(error.code, error.http_status)
        if isinstance(error, TransportError):
            return retry_safe or not error.sent
        return False

    def backoff(self, attempt: int, rand: Callable[[], float]) -> float:
        """Full jitter: uniform in ``[0, min(max_delay, base_delay * 2**attempt)]``."""
        ceiling = min(self.max_delay, self.base_delay * (2.0 ** min(attempt, 30)))
        return max(0.0, min(1.0, rand())) * ceiling

    def delay(self, error: EcsError, attempt: int, rand: Callable[[], float]) -> float:
        """Seconds to wait before retry number ``attempt + 1``; honours ``x-acs-retry-after``."""
        wait = self.backoff(attempt, rand)
        if isinstance(error, ApiError) and error.retry_after is not None:
            wait = max(wait, min(error.retry_after, self.max_retry_after))
        return wait


class TokenBucket:
    """A token bucket: on average ``rate`` requests per second, at most ``burst`` at once.

    ``acquire`` reserves a token and sleeps (on the injected clock, outside the lock) until it is
    due, so concurrent callers queue up in order and the rate holds across threads. With the
    default ``burst=1`` consecutive requests are at least ``1/rate`` seconds apart.
    """

    def __init__(self, rate: float, *, burst: float = 1.0, clock: Clock) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    def acquire(self, cancel: threading.Event | None = None, deadline: float | None = None) -> None:
        """Take one token, waiting as long as needed. Raises Cancelled if ``cancel`` is set meanwhile.

        With a ``deadline`` (``clock.monotonic()`` seconds) a token that would come due after it is not
        taken at all: DeadlineExceeded is raised at once, and later callers are not slowed by it.
        A cancelled wait keeps its reservation: the token is spent, which only slows later callers.
        """
        with self._lock:
            now = self._clock.monotonic()
            tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate
            if deadline is not None and now + wait > deadline:
                raise DeadlineExceeded(
                    f"the request rate limit ({self.rate:g}/s) would delay the request {wait:.1f}s, "
                    f"past the round's timeout")
            self._tokens, self._stamp = tokens - 1.0, now
        if wait > 0 and not self._clock.sleep(wait, cancel):
            raise Cancelled("cancelled while waiting for the request rate limit")
