"""One error hierarchy for everything that talks to ECS.

::

    EcsError
    ├── ApiError(code, message, request_id, http_status)   an error answer from the API
    │   ├── Throttled          Throttling, Throttling.User, Throttling.Api, ... (retryable, with backoff)
    │   ├── Transient          ServiceUnavailable, InternalError, any 5xx     (retryable)
    │   ├── NotFound           InvalidInstanceId.NotFound, InvalidInstanceIds.NotFound
    │   ├── IncorrectStatus    IncorrectInstanceStatus, InstanceNotReady, InvalidOperation.Conflict
    │   ├── Forbidden          Forbidden.*, NoPermission, InstanceLockedForSecurity, InstanceExpiredOrInArrears
    │   ├── AuthFailure        SignatureDoesNotMatch, InvalidAccessKeyId.NotFound, IncompleteSignature, ...
    │   └── InvalidParameter   MissingParameter, InvalidParameter*, Abs.InvalidInstanceIds.MalFormed
    ├── TransportError(sent)   no usable answer; ``sent`` tells whether the request may have been acted on
    ├── WaitTimeout(pending_ids, last_statuses, waited_s)
    ├── DeadlineExceeded       the round's time ran out before a request could be sent (nothing was sent)
    ├── Cancelled
    ├── ConfigError            bad configuration or credentials; says what to fix
    └── SelectionError         instanceSelector's selection cannot be used (it matched nothing, more than
                               maxInstances, or an instance it does not describe): nothing was rebooted

    InputError                 what the engine sent cannot be used (a bad import id, an unknown resource
                               type, an unknown value outside preview); says what is wrong
    ResourceInitFailed(id, state, reasons)
                               a step that failed part-way: its new state must still be recorded

Per-instance results of a SuccessFirst batch are values (``InstanceOutcome``), not exceptions.
Every message shown to a user carries the API code, message and RequestId, and never a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

#: the state a part-way failure must record (``core.state.TriggerState``; generic, so errors import no state)
S = TypeVar("S")


class EcsError(Exception):
    """Base of every error this project raises about ECS."""


class ApiError(EcsError):
    """An error answer of the ECS API."""

    def __init__(
        self,
        code: str,
        message: str,
        request_id: str = "",
        http_status: int = 0,
        *,
        action: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status
        self.action = action
        #: seconds from the ``x-acs-retry-after`` header (sent in milliseconds), if any
        self.retry_after = retry_after
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f"{self.action} failed: " if self.action else ""
        status = f" (HTTP {self.http_status})" if self.http_status else ""
        rid = self.request_id or "none"
        return f"{where}{self.code}: {self.message}{status} [RequestId: {rid}]"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_api_error,
            (type(self), self.code, self.message, self.request_id, self.http_status, self.action),
        )


def _rebuild_api_error(
    cls: type[ApiError], code: str, message: str, request_id: str, http_status: int, action: str
) -> ApiError:
    return cls(code, message, request_id, http_status, action=action)


class Throttled(ApiError):
    """Flow control: the request was refused before anything ran."""


class Transient(ApiError):
    """A transient server-side failure (5xx, ServiceUnavailable, InternalError)."""


class NotFound(ApiError):
    """An instance id that the region does not know."""


class IncorrectStatus(ApiError):
    """The instance cannot be rebooted in its current status (a passing condition)."""


class Forbidden(ApiError):
    """Permission denied, security lock, or expired instance."""


class AuthFailure(ApiError):
    """The request's signature or access key was rejected."""


#: What to do about an AuthFailure: the API's own message names the problem, not where to fix it.
CREDENTIALS_HINT = (
    "Check the credentials: ecsreboot:accessKey, ecsreboot:secretKey and ecsreboot:securityToken, the "
    "ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET / ALIBABA_CLOUD_SECURITY_TOKEN variables, "
    "or the profile in ~/.aliyun/config.json (temporary STS credentials must be renewed when they expire)"
)


class InvalidParameter(ApiError):
    """The request itself was malformed."""


class TransportError(EcsError):
    """No usable answer came back.

    ``sent`` is False when the request provably never reached the server (connection refused,
    DNS failure, connect timeout): it is then safe to retry even a reboot. When True the server
    may have acted on it (read timeout, connection dropped after sending), so a non-idempotent
    call must look at the instances before trying again.
    """

    def __init__(self, message: str, *, sent: bool, action: str = "") -> None:
        self.sent = sent
        self.action = action
        self.detail = message
        prefix = f"{action}: " if action else ""
        super().__init__(f"{prefix}{message}")

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_transport_error, (self.detail, self.sent, self.action))


def _rebuild_transport_error(message: str, sent: bool, action: str) -> TransportError:
    return TransportError(message, sent=sent, action=action)


class WaitTimeout(EcsError):
    """Instances did not come back to Running within the time allowed."""

    def __init__(
        self, pending_ids: Sequence[str], last_statuses: Mapping[str, str], waited_s: float
    ) -> None:
        self.pending_ids = list(pending_ids)
        self.last_statuses = dict(last_statuses)
        self.waited_s = waited_s
        shown = ", ".join(f"{i} ({self.last_statuses.get(i, 'unknown')})" for i in self.pending_ids[:10])
        more = f" and {len(self.pending_ids) - 10} more" if len(self.pending_ids) > 10 else ""
        super().__init__(
            f"{len(self.pending_ids)} instance(s) not Running again after {waited_s:.0f}s: {shown}{more}"
        )


class DeadlineExceeded(EcsError):
    """The deadline (the round's timeout) would pass before the request could be sent: waiting for a
    rate-limit token, a Retry-After or a backoff would run past it. Nothing was sent."""


class Cancelled(EcsError):
    """The operation was cancelled (Pulumi Cancel, Ctrl-C)."""


class ConfigError(EcsError):
    """Configuration or credentials are missing or malformed; the message says what to fix."""


class SelectionError(EcsError):
    """The selection cannot be used -- it matched no instance, more than ``maxInstances``, or an instance the
    selector does not describe -- so nothing was rebooted. The message says what was found and what to do."""


class InputError(Exception):
    """The request cannot be served as sent: the input is wrong, not the provider. The message says what."""


@dataclass(frozen=True)
class Reason:
    """Why a step failed part-way, as the user reads it."""

    text: str
    #: the next ``pulumi up`` retries what this names (``failedInstanceIds``); the plugin says so, the
    #: dynamic provider (which records nothing) does not
    retryable: bool = False


class ResourceInitFailed(Exception, Generic[S]):
    """A step that did part of its work and failed: the step fails, but ``state`` (its new outputs) must be
    recorded, so that the next ``pulumi up`` knows what was done (ErrorResourceInitFailed in the plugin)."""

    def __init__(self, id_: str, state: S, reasons: Sequence[Reason]) -> None:
        self.id = id_
        self.state = state
        self.reasons = list(reasons)
        super().__init__("; ".join(r.text for r in self.reasons) or "the reboot round did not complete")


# --- classification -------------------------------------------------------------------------

_BY_CODE: dict[str, type[ApiError]] = {
    "InvalidInstanceId.NotFound": NotFound,
    "InvalidInstanceIds.NotFound": NotFound,
    "IncorrectInstanceStatus": IncorrectStatus,
    "InstanceNotReady": IncorrectStatus,
    "InvalidOperation.Conflict": IncorrectStatus,
    "InstanceLockedForSecurity": Forbidden,
    "InstanceExpiredOrInArrears": Forbidden,
    "InsufficientBalance": Forbidden,
    "NoPermission": Forbidden,
    "SignatureDoesNotMatch": AuthFailure,
    "IncompleteSignature": AuthFailure,
    "SignatureNonceUsed": AuthFailure,
    "InvalidAccessKeyId.NotFound": AuthFailure,
    "InvalidAccessKeyId": AuthFailure,
    "InvalidSecurityToken.Expired": AuthFailure,
    "InvalidSecurityToken.Malformed": AuthFailure,
    "IllegalTimestamp": AuthFailure,
    "MissingParameter": InvalidParameter,
    "Abs.InvalidInstanceIds.MalFormed": InvalidParameter,
    "ServiceUnavailable": Transient,
    "LimitedOperation.ServiceUnavailable": Transient,
    "InternalError": Transient,
    "UnknownError": Transient,
}

#: Codes that mean the request was refused or failed before it did anything.
TRANSIENT_CODES: frozenset[str] = frozenset(
    {"ServiceUnavailable", "LimitedOperation.ServiceUnavailable", "InternalError", "UnknownError"}
)


def is_throttling(code: str) -> bool:
    """``Throttling``, ``Throttling.User``, ``Throttling.Api``, ``Rejected.Throttling`` ..."""
    return code.startswith("Throttling") or code.endswith(".Throttling")


def is_transient(code: str, http_status: int) -> bool:
    """Whether an error answer is worth retrying (throttling included). Classified by code and status."""
    return is_throttling(code) or code in TRANSIENT_CODES or http_status >= 500


def error_class(code: str, http_status: int) -> type[ApiError]:
    """The ApiError subclass for an error answer."""
    if is_throttling(code):
        return Throttled
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code.startswith("Forbidden"):
        return Forbidden
    if code.startswith("InvalidParameter") or code.startswith("MissingParameter"):
        return InvalidParameter
    if http_status >= 500:
        return Transient
    return ApiError


def api_error(
    code: str,
    message: str,
    request_id: str = "",
    http_status: int = 0,
    *,
    action: str = "",
    retry_after: float | None = None,
) -> ApiError:
    """Build the right ApiError subclass for an error answer."""
    cls = error_class(code, http_status)
    return cls(code, message, request_id, http_status, action=action, retry_after=retry_after)
