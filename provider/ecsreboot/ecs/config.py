"""Client settings and the ECS endpoint they lead to. Validated once, at construction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..core.checks import REGION_ID
from ..core.errors import ConfigError
from ..core.resource import MAX_REQUEST_TIMEOUT, REQUESTS_PER_SECOND_RANGE

if TYPE_CHECKING:  # a type only: importing wire at run time would load the HTTP client
    from .wire import SignatureVersion

_HOST = re.compile(r"[A-Za-z0-9.\-]+|[0-9A-Fa-f:.]+")
_USERINFO = re.compile(r"^(\s*(?:[A-Za-z][A-Za-z0-9+.\-]*://)?)[^/?#]*@")

#: Regions the official SDKs' endpoint maps send to a non-standard host (the map wins over the regional rule).
ENDPOINT_QUIRKS: dict[str, str] = {"cn-hangzhou": "ecs-cn-hangzhou.aliyuncs.com"}


def default_endpoint_host(region_id: str) -> str:
    """``ecs.<region>.aliyuncs.com``, or the SDKs' special host for ``cn-hangzhou``."""
    return ENDPOINT_QUIRKS.get(region_id, f"ecs.{region_id}.aliyuncs.com")


def endpoint_url(endpoint: str | None, region_id: str) -> tuple[str, str]:
    """(base URL, Host header value). HTTPS unless the user wrote an explicit ``http://`` URL.

    A bare ``host[:port]`` means HTTPS. Raises ConfigError for anything that is not a plain
    ``scheme://host[:port][/]``.
    """
    if endpoint is None or not endpoint.strip():
        host = default_endpoint_host(region_id)
        return f"https://{host}", host
    text = endpoint.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- raises ValueError for a bad port
    except ValueError:
        raise ConfigError(f"endpoint {_masked(endpoint)!r} is not a valid URL "
                          "(expected e.g. http://127.0.0.1:8787)") from None
    hostname = parts.hostname or ""
    problems = []
    if parts.scheme not in ("http", "https"):
        problems.append("the scheme must be http or https")
    if "@" in parts.netloc:
        problems.append("it must not carry a user name or password")
    elif not hostname or not _HOST.fullmatch(hostname):
        problems.append("it needs a host name")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        problems.append("it must not have a path, query or fragment")
    if problems:
        raise ConfigError(f"endpoint {_masked(endpoint)!r} is not usable: {'; '.join(problems)} "
                          "(expected e.g. http://127.0.0.1:8787 or ecs.cn-beijing.aliyuncs.com)")
    return f"{parts.scheme}://{parts.netloc}", parts.netloc


def _masked(endpoint: str) -> str:
    """The endpoint as quoted in messages: a ``user:password@`` part is not repeated."""
    return _USERINFO.sub(r"\1***@", endpoint)


@dataclass(frozen=True)
class ClientConfig:
    """How the client talks to ECS. Times are seconds. Raises ConfigError when a value is unusable."""

    region_id: str
    endpoint: str | None = None
    signature_version: SignatureVersion = "v3"
    max_retries: int = 5
    request_timeout: float = 10.0
    max_requests_per_second: float | None = None
    connect_timeout: float = 5.0
    #: parallel DescribeInstances calls of one status poll
    describe_concurrency: int = 8

    def __post_init__(self) -> None:
        if not isinstance(self.region_id, str) or not REGION_ID.fullmatch(self.region_id):
            raise ConfigError(f"region {self.region_id!r} is not a region id like cn-hangzhou: "
                              "set ecsreboot:region, --region or ALIBABA_CLOUD_REGION_ID")
        if self.signature_version not in ("v1", "v3"):
            raise ConfigError(f"signatureVersion must be v1 or v3, not {self.signature_version!r}")
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigError(f"maxRetries must be a whole number >= 0, not {self.max_retries!r}")
        for name, value in (("requestTimeout", self.request_timeout), ("connectTimeout", self.connect_timeout)):
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= MAX_REQUEST_TIMEOUT:
                raise ConfigError(f"{name} must be a number of seconds greater than 0 and at most "
                                  f"{MAX_REQUEST_TIMEOUT:g}, not {value!r}")
        rate = self.max_requests_per_second
        low, high = REQUESTS_PER_SECOND_RANGE
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float)
                                 or not low <= rate <= high):
            raise ConfigError(f"maxRequestsPerSecond must be a number from {low:g} to {high:g}, not {rate!r}")
        if self.describe_concurrency < 1:
            raise ConfigError("describe_concurrency must be at least 1")
        endpoint_url(self.endpoint, self.region_id)  # validates

    @property
    def base_url(self) -> str:
        return endpoint_url(self.endpoint, self.region_id)[0]

    @property
    def host(self) -> str:
        """The Host header as sent and signed: exactly the URL's authority, port included."""
        return endpoint_url(self.endpoint, self.region_id)[1]
