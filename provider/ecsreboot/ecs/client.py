"""``EcsClient``: one object per configuration, thread-safe, driven by the OPERATIONS table.

``call`` sends one action, with retries for whatever the retry policy deems safe; the typed
wrappers add what describes need (paging, chunking). The non-idempotent reboots, and what to do
after an ambiguous failure of one, are a layer above: ``ecs/reboot.py``'s ``Rebooter`` over this client.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, replace
from typing import Any

from ..core.clock import Clock, SystemClock, rfc3339
from ..core.credentials import Credentials
from ..core.errors import (
    ApiError,
    Cancelled,
    DeadlineExceeded,
    EcsError,
    InvalidParameter,
    TransportError,
    api_error,
)
from ..core.operations import (
    DESCRIBE_INSTANCES_PAGE_MAX,
    MAX_INSTANCES_PER_CALL,
    OPERATIONS,
    encode_params,
    permission_hint,
)
from ..core.plan import chunked
from ..core.signing import percent_encode
from .config import ClientConfig
from .credentials import CredentialsProvider
from .evidence import InstanceState
from .retry import RetryPolicy, TokenBucket
from .transport import HttpTransport, Transport
from .wire import build_request, parse_reply

log = logging.getLogger("ecsreboot.ecs")

#: how often a caller blocked on parallel describes looks at its cancel event (seconds, real time)
_CANCEL_CHECK = 0.1
#: ≤100 ids per describe fit one page of 100; more pages only if the server pages smaller
_MAX_PAGES = MAX_INSTANCES_PER_CALL
_DESCRIBE = OPERATIONS["DescribeInstances"]


@dataclass(frozen=True)
class InstancePage:
    """One page of a DescribeInstances listing: its records as the API sent them, each one's state (status,
    StartTime, addresses), the ``TotalCount`` it reported (None if none), and the token of the next page
    (``""`` on the last)."""

    records: list[dict[str, Any]]
    states: dict[str, InstanceState]
    total: int | None
    request_id: str
    next_token: str


class EcsClient:
    """Talks to ECS for one region configuration.

    Injectables: ``transport`` (default: pooled ``requests``), ``clock`` (sleeps and timestamps),
    ``rand`` (backoff jitter), ``limiter`` (the process-wide TokenBucket; one is made from
    ``max_requests_per_second`` if not given), ``nonce`` (signature nonces, default uuid4 hex).
    Every attempt is signed afresh: new nonce, new timestamp, current credentials.
    """

    def __init__(
        self,
        config: ClientConfig,
        credentials: CredentialsProvider,
        *,
        transport: Transport | None = None,
        clock: Clock | None = None,
        rand: Callable[[], float] | None = None,
        limiter: TokenBucket | None = None,
        nonce: Callable[[], str] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._credentials = credentials
        self._transport = transport or HttpTransport(
            connect_timeout=config.connect_timeout, read_timeout=config.request_timeout,
            pool_size=max(16, config.describe_concurrency * 2))
        self._rand = rand or random.random
        self._nonce = nonce or (lambda: uuid.uuid4().hex)
        self.retry = retry or RetryPolicy(max_retries=config.max_retries)
        if limiter is None and config.max_requests_per_second is not None:
            limiter = TokenBucket(config.max_requests_per_second, clock=self.clock)
        self.limiter = limiter
        self._base_url, self._host = config.base_url, config.host
        self._stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    # --- bookkeeping -----------------------------------------------------------------------

    @property
    def stats(self) -> dict[str, int]:
        """Requests sent so far, by action (every attempt counts)."""
        with self._lock:
            return dict(self._stats)

    @property
    def region_id(self) -> str:
        return self.config.region_id

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self._transport.close()

    def __enter__(self) -> EcsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the generic call ------------------------------------------------------------------

    def call(
        self,
        action: str,
        params: Mapping[str, Any],
        *,
        cancel: threading.Event | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """Send ``action`` with typed ``params`` (API names); return the reply as a dict.

        Raises InvalidParameter before sending for input the OPERATIONS table rejects; the ApiError
        subclass of an error answer (DryRun verdicts included) once retries are exhausted, its message
        naming the RAM action to grant when the answer is a RAM denial;
        TransportError; Cancelled; ConfigError from the credentials provider. A non-idempotent
        action is never re-sent here after a failure with ``sent=True`` -- the error is raised.
        A retry never starts sleeping past ``deadline`` (on ``self.clock.monotonic()``).
        """
        op = OPERATIONS.get(action)
        if op is None:
            raise InvalidParameter("InvalidAction.NotFound", f"unknown action {action}", action=action)
        wire = encode_params(op, params)
        # A DryRun changes nothing, so it is as safe to repeat as a describe.
        retry_safe = op.retry_safe or params.get("DryRun") is True
        attempt = 0
        while True:
            try:
                return self._send_once(action, op.version, wire, cancel, deadline, retry_safe=retry_safe)
            except (ApiError, TransportError) as err:
                if not self.retry.should_retry(err, attempt, retry_safe=retry_safe):
                    raise
                delay = self.retry.delay(err, attempt, self._rand)
                if deadline is not None and self.clock.monotonic() + delay > deadline:
                    raise
                log.info("%s: retry %d in %.2fs after %s", action, attempt + 1, delay, _brief(err))
                if not self.clock.sleep(delay, cancel):
                    raise Cancelled(f"{action} cancelled while waiting to retry") from err
                attempt += 1

    def _send_once(self, action: str, version: str, wire: Mapping[str, str], cancel: threading.Event | None,
                   deadline: float | None, *, retry_safe: bool) -> dict[str, Any]:
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"{action} cancelled")
        if deadline is not None and self.clock.monotonic() >= deadline:
            raise DeadlineExceeded(f"{action} not sent: the round's timeout ran out")
        if self.limiter is not None:
            self.limiter.acquire(cancel, deadline)
        credentials = self._credentials.get()
        request = build_request(
            self._base_url, self._host, action=action, version=version, params=wire,
            credentials=credentials, signature_version=self.config.signature_version,
            timestamp=rfc3339(self.clock.utcnow()), nonce=self._nonce())
        if deadline is not None and retry_safe:
            # A look may be cut short by the deadline (it proves nothing either way); a reboot is not,
            # since a reply given up on is a reboot of unknown fate.
            request = replace(request, read_timeout=max(0.001, deadline - self.clock.monotonic()))
        with self._lock:
            self._stats[action] += 1
        try:
            response = self._transport.send(request)
        except TransportError as err:
            raise TransportError(err.detail, sent=err.sent, action=action) from None
        try:
            reply = parse_reply(action, response)
        except ApiError as err:
            raise _with_permission_hint(_without_credentials(err, credentials)) from None
        log.debug("%s: HTTP %d RequestId %s", action, response.status, reply.get("RequestId", ""))
        return reply

    # --- typed wrappers --------------------------------------------------------------------

    def describe_states(
        self,
        region_id: str,
        instance_ids: Sequence[str],
        *,
        cancel: threading.Event | None = None,
        deadline: float | None = None,
    ) -> dict[str, InstanceState]:
        """``{instance id: InstanceState(Status, StartTime)}`` via DescribeInstances, at most 100 ids per
        call, ``ceil(n/100)`` calls in parallel.

        Ids the region does not list are absent from the result (the caller decides what that
        means). Raises the last error when a call fails after its retries; Cancelled promptly.
        """
        chunks = list(chunked(list(dict.fromkeys(instance_ids)), MAX_INSTANCES_PER_CALL))
        if not chunks:
            return {}
        pool = self._describe_pool()
        futures = [pool.submit(self._describe_chunk, region_id, c, cancel, deadline) for c in chunks]
        states: dict[str, InstanceState] = {}
        for part in _gather(futures, cancel):
            states.update(part)
        return states

    def list_instances(
        self,
        region_id: str,
        filters: Mapping[str, Any],
        *,
        cancel: threading.Event | None = None,
        deadline: float | None = None,
    ) -> Iterator[InstancePage]:
        """The instances DescribeInstances lists for ``filters`` (its parameters: ``{"VpcId": ..., "Tag":
        [...]}``), page by page: ``MaxResults`` 100, then the ``NextToken`` of the page before, until a page
        brings none. Pages are asked for one at a time, each when the caller wants it, so a caller that has
        seen enough stops the listing. Raises as ``call`` does."""
        token = ""
        while True:
            reply = self.call(_DESCRIBE.action, {
                "RegionId": region_id, **filters, "MaxResults": DESCRIBE_INSTANCES_PAGE_MAX,
                **({"NextToken": token} if token else {}),
            }, cancel=cancel, deadline=deadline)
            records = _DESCRIBE.results(reply)
            token = str(reply.get("NextToken") or "")
            states = {str(r["InstanceId"]): _state_of(r) for r in records if r.get("InstanceId")}
            yield InstancePage(records, states, _as_int(reply.get("TotalCount")), str(reply.get("RequestId", "")),
                               token)
            if not token:
                return

    def _describe_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.describe_concurrency,
                                                thread_name_prefix="ecsreboot-describe")
            return self._pool

    def _describe_chunk(self, region_id: str, ids: list[str], cancel: threading.Event | None,
                        deadline: float | None) -> dict[str, InstanceState]:
        """One ≤100-id DescribeInstances, following pages while TotalCount says more exist."""
        states: dict[str, InstanceState] = {}
        page = 1
        while True:
            reply = self.call(_DESCRIBE.action, {
                "RegionId": region_id, "InstanceIds": ids,
                "PageSize": DESCRIBE_INSTANCES_PAGE_MAX, "PageNumber": page,
            }, cancel=cancel, deadline=deadline)
            items = _DESCRIBE.results(reply)
            for item in items:
                if item.get("InstanceId"):
                    states[str(item["InstanceId"])] = _state_of(item)
            total = _as_int(reply.get("TotalCount"))
            # Stop when the reply says there is nothing more; the page cap guards against a server
            # whose TotalCount never adds up (each page then costs one more call, not a loop forever).
            if not items or total is None or len(states) >= total or page >= _MAX_PAGES:
                return states
            page += 1


def _gather(futures: list[Future[dict[str, InstanceState]]],
            cancel: threading.Event | None) -> list[dict[str, InstanceState]]:
    """Results in order; the first failure is raised. Returns at once (Cancelled) when cancelled."""
    pending: set[Future[dict[str, InstanceState]]] = set(futures)
    while pending:
        if cancel is not None and cancel.is_set():
            for f in pending:
                f.cancel()
            raise Cancelled("cancelled while reading instance statuses")
        done, pending = wait_futures(pending, timeout=_CANCEL_CHECK, return_when=FIRST_EXCEPTION)
        for f in done:
            failure = f.exception()
            if failure is not None:
                for other in pending:
                    other.cancel()
                raise failure
    return [f.result() for f in futures]


def _state_of(item: Mapping[str, Any]) -> InstanceState:
    """An ``Instance`` record: status, start, and the addresses a health check may need -- the first VPC
    private IP (else the classic network's inner IP) and the public IP (else the EIP)."""
    vpc = item.get("VpcAttributes")
    private = _first_ip(vpc.get("PrivateIpAddress") if isinstance(vpc, dict) else None) or \
        _first_ip(item.get("InnerIpAddress"))
    public = _first_ip(item.get("PublicIpAddress")) or _first_ip(item.get("EipAddress"))
    status, start = item.get("Status", ""), item.get("StartTime") or ""
    return InstanceState(status if type(status) is str else str(status),
                         start if type(start) is str else str(start), private, public)


def _first_ip(field: Any) -> str:
    """``{"IpAddress": ["10.0.0.1"]}`` or ``{"IpAddress": "10.0.0.1"}`` (EipAddress) -> the first address.
    (A reply is JSON: its objects are dicts, so the checks are ``dict``, cheaper than ``Mapping``: a fleet's
    polls read this some 400,000 times.)"""
    value = field.get("IpAddress") if isinstance(field, dict) else None
    if not value:
        return ""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    return value.strip() if isinstance(value, str) else ""


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _without_credentials(err: ApiError, credentials: Credentials) -> ApiError:
    """``err`` with the credentials it was signed with removed from its message.

    A V1 SignatureDoesNotMatch answer quotes the server's string-to-sign, AccessKeyId included (and an
    STS token, percent-encoded once or twice). Callers add what they know to be secret; credentials
    from a profile or the default chain only the client knows.
    """
    values = (credentials.access_key_id, credentials.access_key_secret, credentials.security_token or "")
    forms = {f for v in values if len(v) >= 4 for f in (v, percent_encode(v), percent_encode(percent_encode(v)))}
    message = err.message
    for form in sorted(forms, key=len, reverse=True):
        message = message.replace(form, "[secret]")
    return _with_message(err, message)


def _with_permission_hint(err: ApiError) -> ApiError:
    """``err`` with what to grant appended when it is a RAM denial: the service's message says that the
    call was refused, not which RAM action the policy lacks (RebootInstance and RebootInstances differ)."""
    hint = permission_hint(err.action, err.code)
    return _with_message(err, f"{err.message.rstrip()} ({hint})") if hint else err


def _with_message(err: ApiError, message: str) -> ApiError:
    """``err`` (the same object when the message is unchanged) with ``message`` in place of its own."""
    if message == err.message:
        return err
    return api_error(err.code, message, err.request_id, err.http_status, action=err.action,
                     retry_after=err.retry_after)


def _brief(err: EcsError) -> str:
    return f"{err.code} (RequestId {err.request_id or 'none'})" if isinstance(err, ApiError) else str(err)
