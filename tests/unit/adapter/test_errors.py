"""The one mapping from exceptions to gRPC statuses: deliberate codes, no UNKNOWN, no traceback."""

from __future__ import annotations

import grpc
import pytest

from ecsreboot.adapter.errors import fit_state, grpc_code, message_for
from ecsreboot.core.errors import (
    AuthFailure,
    Cancelled,
    ConfigError,
    Forbidden,
    InputError,
    InvalidParameter,
    NotFound,
    Throttled,
    Transient,
    TransportError,
    WaitTimeout,
)
from ecsreboot.core.sentinels import SECRET_SIG, SIG_KEY
from ecsreboot.core.values import Secret
from ecsreboot.lifecycle import PreviewRejected


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (PreviewRejected("dry run failed"), grpc.StatusCode.FAILED_PRECONDITION),
        (ConfigError("set ecsreboot:region"), grpc.StatusCode.FAILED_PRECONDITION),
        (Cancelled("cancelled"), grpc.StatusCode.CANCELLED),
        (WaitTimeout(["i-a"], {"i-a": "Starting"}, 600), grpc.StatusCode.DEADLINE_EXCEEDED),
        (AuthFailure("SignatureDoesNotMatch", "bad", "RID", 400), grpc.StatusCode.PERMISSION_DENIED),
        (Forbidden("Forbidden.RAM", "no", "RID", 403), grpc.StatusCode.PERMISSION_DENIED),
        (NotFound("InvalidInstanceId.NotFound", "gone", "RID", 404), grpc.StatusCode.NOT_FOUND),
        (InvalidParameter("MissingParameter", "x", "RID", 400), grpc.StatusCode.INVALID_ARGUMENT),
        (Throttled("Throttling", "slow down", "RID", 400), grpc.StatusCode.UNAVAILABLE),
        (Transient("InternalError", "later", "RID", 500), grpc.StatusCode.UNAVAILABLE),
        (TransportError("reset", sent=True), grpc.StatusCode.UNAVAILABLE),
        (InputError("bad value"), grpc.StatusCode.INVALID_ARGUMENT),
        (ValueError("a bug, not the input"), grpc.StatusCode.INTERNAL),
        (KeyError("boom"), grpc.StatusCode.INTERNAL),
    ],
)
def test_each_error_gets_a_deliberate_code(exc: BaseException, code: grpc.StatusCode) -> None:
    assert grpc_code(exc) == code
    assert grpc_code(exc) != grpc.StatusCode.UNKNOWN


def test_api_errors_keep_code_message_and_request_id() -> None:
    text = message_for(NotFound("InvalidInstanceId.NotFound", "The instance does not exist.", "RID-42", 404,
                                action="RebootInstances"))
    assert "InvalidInstanceId.NotFound" in text and "The instance does not exist." in text and "RID-42" in text


def test_an_unexpected_exception_says_it_is_a_bug_without_a_traceback() -> None:
    text = message_for(KeyError("instanceIds"))
    assert "internal error" in text and "KeyError" in text and "Traceback" not in text


def test_an_unexpected_value_error_is_a_bug_not_bad_input() -> None:
    text = message_for(ValueError("invalid literal for int()"))
    assert "internal error (ValueError)" in text and "bug in the provider" in text


def _results(n: int, failed: set[int]) -> list[dict[str, str]]:
    return [{"instanceId": f"i-{k:020d}", "code": "IncorrectInstanceStatus" if k in failed else "200",
             "message": "m" * 40, "previousStatus": "Running", "currentStatus": "Stopping"} for k in range(n)]


def test_a_state_that_fits_travels_whole() -> None:
    outputs = {"results": _results(10, {3}), "failedInstanceIds": ["i-00000000000000000003"]}
    struct, notes = fit_state(outputs)
    assert notes == [] and len(struct["results"]) == 10


def test_an_oversized_state_keeps_failures_and_inputs_and_says_so() -> None:
    ids = [f"i-{k:020d}" for k in range(2000)]
    outputs = {"instanceIds": ids, "results": _results(2000, {7, 1999}),
               "failedInstanceIds": [ids[7], ids[1999]], "rebootCount": 1}
    struct, notes = fit_state(outputs, limit=50_000)
    assert [r["instanceId"] for r in struct["results"]] == [ids[7], ids[1999]]
    assert list(struct["failedInstanceIds"]) == [ids[7], ids[1999]] and len(struct["instanceIds"]) == 2000
    assert notes and "only the 2 instance(s) that failed" in notes[0]


def test_when_even_the_failures_are_too_many_the_first_that_fit_travel_and_every_failed_id() -> None:
    ids = [f"i-{k:020d}" for k in range(2000)]
    outputs = {"instanceIds": ids, "results": _results(2000, set(range(2000))), "failedInstanceIds": ids}
    struct, notes = fit_state(outputs, limit=150_000)  # the ids alone take ~104 KB
    assert struct.ByteSize() <= 150_000
    shown = [r["instanceId"] for r in struct["results"]]
    assert 0 < len(shown) < 2000 and shown == ids[:len(shown)]
    assert list(struct["failedInstanceIds"]) == ids and len(struct["instanceIds"]) == 2000
    assert notes and f"the first {len(shown)} of the 2000 instance(s) that failed" in notes[0]


def test_oversized_secret_results_stay_secret() -> None:
    outputs = {"results": Secret(_results(2000, {5}))}
    struct, notes = fit_state(outputs, limit=50_000)
    assert struct["results"][SIG_KEY] == SECRET_SIG and len(struct["results"]["value"]) == 1 and notes
