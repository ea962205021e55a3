"""Retry policy: which errors are retried, capped full-jitter backoff, x-acs-retry-after, max attempts."""

from __future__ import annotations

import threading

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.errors import (
    ApiError,
    AuthFailure,
    Cancelled,
    IncorrectStatus,
    Throttled,
    Transient,
    TransportError,
    api_error,
)
from ecsreboot.ecs import RetryPolicy
from ecsreboot.emulator import Fault
from tests.inprocess import REGION, InProcessCloud, ids, status_of

POLICY = RetryPolicy(max_retries=5, base_delay=0.5, max_delay=20.0)


@pytest.mark.parametrize(
    ("code", "status", "retried"),
    [
        ("Throttling", 400, True),
        ("Throttling.User", 400, True),
        ("Throttling.Api", 429, True),
        ("ServiceUnavailable", 503, True),
        ("LimitedOperation.ServiceUnavailable", 503, True),
        ("InternalError", 500, True),
        ("SomethingNew", 502, True),  # any 5xx
        ("IncorrectInstanceStatus", 403, False),
        ("InvalidInstanceId.NotFound", 404, False),
        ("SignatureDoesNotMatch", 400, False),
        ("Forbidden.RAM", 403, False),
        ("DRYRUN.SUCCESS", 400, False),
    ],
)
def test_which_error_answers_are_retried(code: str, status: int, retried: bool) -> None:
    error = api_error(code, "m", "rid", status)
    # an error answer proves nothing ran, so reboots (not retry-safe) are retried alike
    assert POLICY.should_retry(error, 0, retry_safe=False) is retried
    assert POLICY.should_retry(error, 0, retry_safe=True) is retried


def test_transport_errors_are_retried_only_when_nothing_can_have_run() -> None:
    never_sent = TransportError("refused", sent=False)
    maybe_ran = TransportError("read timeout", sent=True)
    assert POLICY.should_retry(never_sent, 0, retry_safe=False)
    assert POLICY.should_retry(maybe_ran, 0, retry_safe=True)
    assert not POLICY.should_retry(maybe_ran, 0, retry_safe=False)


def test_attempts_are_bounded_by_max_retries() -> None:
    error = api_error("Throttling", "m", "rid", 400)
    assert POLICY.should_retry(error, 4, retry_safe=True)
    assert not POLICY.should_retry(error, 5, retry_safe=True)
    assert not RetryPolicy(max_retries=0).should_retry(error, 0, retry_safe=True)


def test_backoff_is_exponential_capped_and_fully_jittered() -> None:
    top = [POLICY.backoff(n, lambda: 1.0) for n in range(8)]
    assert top == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0, 20.0]
    assert POLICY.backoff(3, lambda: 0.0) == 0.0
    assert POLICY.backoff(3, lambda: 0.25) == pytest.approx(1.0)
    assert POLICY.backoff(10_000, lambda: 1.0) == 20.0  # no overflow on absurd attempt counts


def test_retry_after_header_is_a_floor_and_is_capped() -> None:
    throttled = Throttled("Throttling", "m", "rid", 400, retry_after=3.0)
    assert POLICY.delay(throttled, 0, lambda: 0.0) == 3.0
    assert POLICY.delay(throttled, 6, lambda: 1.0) == 20.0  # backoff already longer
    huge = Throttled("Throttling", "m", "rid", 400, retry_after=3600.0)
    assert POLICY.delay(huge, 0, lambda: 0.0) == POLICY.max_retry_after


# --- the client applying the policy ---------------------------------------------------------


def test_client_retries_throttling_then_succeeds_with_backoff_sleeps() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(3), clock=clock)
    ecs.faults.throttle("DescribeInstances", count=2)
    client = ecs.client()
    assert status_of(client, REGION, ids(3)) == dict.fromkeys(ids(3), "Running")
    assert client.stats == {"DescribeInstances": 3}
    assert clock.slept == [0.25, 0.5]  # rand=0.5 * 0.5 * 2**n


def test_client_honours_retry_after_milliseconds() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.throttle("DescribeInstances", retry_after_ms=2500)
    status_of(ecs.client(), REGION, ids(1))
    assert clock.slept == [2.5]


def test_client_gives_up_after_max_retries_with_the_api_error() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.error("ServiceUnavailable", 503, "DescribeInstances", count=100)
    client = ecs.client(max_retries=3)
    with pytest.raises(Transient) as caught:
        status_of(client, REGION, ids(1))
    assert client.stats == {"DescribeInstances": 4}
    assert caught.value.code == "ServiceUnavailable"
    assert f"RequestId: {ecs.requests()[-1]['requestId']}" in str(caught.value)  # the last answer's
    assert len(clock.slept) == 3


def test_non_retryable_answer_is_raised_at_once() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.error("SignatureDoesNotMatch", 400, "DescribeInstances")
    client = ecs.client()
    with pytest.raises(AuthFailure):
        status_of(client, REGION, ids(1))
    assert client.stats == {"DescribeInstances": 1}
    assert clock.slept == []


def test_reboot_is_retried_after_throttling_and_refused_connection() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(2), clock=clock)
    ecs.faults.throttle("RebootInstances")
    ecs.faults.add(Fault("refused", "RebootInstances"))
    reply = ecs.rebooter().reboot_instances(REGION, ids(2))
    assert [o.code for o in reply.outcomes] == ["200", "200"]
    assert ecs.reboot_counts() == dict.fromkeys(ids(2), 1)
    assert [a for a, _ in ecs.calls()] == ["DescribeInstances"] + ["RebootInstances"] * 3  # a look, then the reboot
    assert [r["fault"] for r in ecs.requests()] == [None, "throttle", "refused", None]


def test_a_retry_is_signed_afresh() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.throttle("DescribeInstances", retry_after_ms=2000)
    nonces = iter(["n1", "n2"])
    client = ecs.client()
    client._nonce = lambda: next(nonces)  # type: ignore[method-assign]
    status_of(client, REGION, ids(1))
    first, second = ecs.sent
    assert first.headers["x-acs-signature-nonce"] == "n1"
    assert second.headers["x-acs-signature-nonce"] == "n2"
    assert first.headers["x-acs-date"] != second.headers["x-acs-date"]  # the clock moved while backing off
    assert first.headers["Authorization"] != second.headers["Authorization"]
    assert [r["status"] for r in ecs.requests()] == [400, 200]  # the emulator verified both signatures


def test_retry_sleep_stops_at_the_deadline() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.throttle("DescribeInstances", retry_after_ms=30_000)
    with pytest.raises(Throttled):
        status_of(ecs.client(), REGION, ids(1), deadline=clock.monotonic() + 10)
    assert clock.slept == []


def test_cancel_during_backoff_raises_cancelled() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.faults.throttle("DescribeInstances")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        ecs.client().call("DescribeInstances", {"RegionId": REGION, "InstanceIds": ids(1)}, cancel=cancel)


def test_error_hierarchy_classes_match_codes() -> None:
    assert isinstance(api_error("IncorrectInstanceStatus", "m", "r", 403), IncorrectStatus)
    assert isinstance(api_error("Throttling.User", "m", "r", 400), ApiError)


def test_a_describe_reply_that_is_no_api_answer_is_retried() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(2), clock=clock)
    ecs.faults.add(Fault("garbage", "DescribeInstances"))
    client = ecs.client()
    assert status_of(client, REGION, ids(2)) == dict.fromkeys(ids(2), "Running")
    assert client.stats == {"DescribeInstances": 2} and clock.slept == [0.25]
