"""The one place that maps errors to gRPC statuses.

Deliberate codes, never UNKNOWN from an uncaught exception: invalid input (``InputError``) ->
INVALID_ARGUMENT, configuration and an unusable selection -> FAILED_PRECONDITION, permission ->
PERMISSION_DENIED, throttling and transport -> UNAVAILABLE, cancellation -> CANCELLED; anything else (a
``ValueError`` included) is a bug: INTERNAL, saying so. A step that failed part-way (``ResourceInitFailed``) travels as
ErrorResourceInitFailed (with ABORTED) so the engine saves the new state; its retry hint is added here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import grpc
from google.protobuf import struct_pb2

from ..core.errors import (
    ApiError,
    AuthFailure,
    Cancelled,
    ConfigError,
    Forbidden,
    InputError,
    InvalidParameter,
    NotFound,
    Reason,
    ResourceInitFailed,
    SelectionError,
    Throttled,
    Transient,
    TransportError,
    WaitTimeout,
)
from ..core.model import SUCCESS_CODE
from ..core.state import TriggerState
from ..core.values import Secret
from ..lifecycle import PreviewRejected
from .properties import to_struct
from .proto import provider_pb2, status_pb2


class _Status(grpc.Status):  # type: ignore[misc]
    def __init__(self, code: grpc.StatusCode, details: str, trailing_metadata: Any = ()) -> None:
        self.code = code
        self.details = details
        self.trailing_metadata = trailing_metadata


#: Most specific first: the first class an exception is an instance of decides its code.
_CODES: Sequence[tuple[type[BaseException], grpc.StatusCode]] = (
    (PreviewRejected, grpc.StatusCode.FAILED_PRECONDITION),
    (ConfigError, grpc.StatusCode.FAILED_PRECONDITION),
    (SelectionError, grpc.StatusCode.FAILED_PRECONDITION),
    (Cancelled, grpc.StatusCode.CANCELLED),
    (WaitTimeout, grpc.StatusCode.DEADLINE_EXCEEDED),
    (AuthFailure, grpc.StatusCode.PERMISSION_DENIED),
    (Forbidden, grpc.StatusCode.PERMISSION_DENIED),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (InvalidParameter, grpc.StatusCode.INVALID_ARGUMENT),
    (Throttled, grpc.StatusCode.UNAVAILABLE),
    (Transient, grpc.StatusCode.UNAVAILABLE),
    (TransportError, grpc.StatusCode.UNAVAILABLE),
    (ApiError, grpc.StatusCode.FAILED_PRECONDITION),
    (InputError, grpc.StatusCode.INVALID_ARGUMENT),
    (ResourceInitFailed, grpc.StatusCode.ABORTED),
)


def grpc_code(exc: BaseException) -> grpc.StatusCode:
    """The status code for an exception raised while serving a request."""
    for cls, code in _CODES:
        if isinstance(exc, cls):
            return code
    return grpc.StatusCode.INTERNAL


def message_for(exc: BaseException) -> str:
    """The text the user sees. Unexpected exceptions say so, without a traceback."""
    if grpc_code(exc) is grpc.StatusCode.INTERNAL:
        return (f"ecsreboot internal error ({type(exc).__name__}): {exc}. This is a bug in the provider; "
                "the state was not changed by this step.")
    return str(exc)


#: The partial-failure state travels in gRPC trailing metadata, which the engine (grpc-go) accepts
#: up to 16 MiB; the state is kept well inside that.
MAX_STATE_BYTES = 8 * 1024 * 1024


def fit_state(outputs: Mapping[str, Any], limit: int = MAX_STATE_BYTES) -> tuple[struct_pb2.Struct, list[str]]:
    """The outputs as a Struct small enough for the error channel, and a note if they had to shrink.

    Only ``results`` shrinks: to the instances that failed, and when even those are too many (100,000
    instances whose round stopped at the canary), to the first of them that fit. ``failedInstanceIds``
    (what the next ``pulumi up`` retries) and every input are always kept whole.
    """
    struct = to_struct(outputs)
    size = struct.ByteSize()
    if size <= limit:
        return struct, []
    results = outputs.get("results")
    inner = results.value if isinstance(results, Secret) else results
    failed = [r for r in inner or [] if isinstance(r, Mapping) and r.get("code") != SUCCESS_CODE]
    note = (f"`results` lists only the {len(failed)} instance(s) that failed: the full list is too large "
            "to travel with an error")
    bare = to_struct({**outputs, "results": Secret([]) if isinstance(results, Secret) else []})
    budget = limit - bare.ByteSize()  # what is left for the failures' rows; nothing to gain if none is
    kept = failed
    while True:
        trimmed = {**outputs, "results": Secret(kept) if isinstance(results, Secret) else kept}
        struct = to_struct(trimmed)
        size = struct.ByteSize()
        if size <= limit or budget <= 0 or not kept:
            break
        # what does not fit goes, by the rows' average size (a round or two)
        per_row = max(1, (size - bare.ByteSize()) // len(kept))
        kept = kept[:max(0, min(len(kept) - 1, budget // per_row))]
    if len(kept) < len(failed):
        note = (f"`results` lists the first {len(kept)} of the {len(failed)} instance(s) that failed (every one "
                "is in failedInstanceIds): the full list is too large to travel with an error")
    return struct, [note]


#: What the plugin adds to a reason naming instances the next ``pulumi up`` retries (it records
#: ``failedInstanceIds``; the dynamic provider cannot, so the hint belongs here, not in the lifecycle).
RETRY_HINT = "Run `pulumi up` again to retry only these (failedInstanceIds)."


def reason_text(reason: Reason) -> str:
    """A reason as the CLI shows it, with the retry hint where it applies."""
    return f"{reason.text}. {RETRY_HINT}" if reason.retryable else reason.text


def abort_init_failed(
    context: grpc.ServicerContext, failed: ResourceInitFailed[TriggerState], scrub: Callable[[str], str] = str
) -> NoReturn:
    """Fail the step but hand the engine the new state (ErrorResourceInitFailed).

    The engine reads the detail whatever the code; ABORTED says "the round stopped part-way" and
    keeps UNKNOWN (which the engine takes for a crash with possibly corrupt state) out of it.
    """
    properties, notes = fit_state(failed.state.encode())
    reasons = [scrub(text) for text in [*(reason_text(r) for r in failed.reasons), *notes]]
    message = "; ".join(reasons) or "the reboot round did not complete"
    detail = provider_pb2.ErrorResourceInitFailed(id=failed.id, properties=properties, reasons=reasons)
    status = status_pb2.Status(code=grpc.StatusCode.ABORTED.value[0], message=message)
    status.details.add().Pack(detail)
    context.abort_with_status(
        _Status(grpc.StatusCode.ABORTED, message, (("grpc-status-details-bin", status.SerializeToString()),))
    )
    raise AssertionError("unreachable")
