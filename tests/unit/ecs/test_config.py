"""Client configuration: endpoints (HTTPS by default, the cn-hangzhou quirk) and validation."""

from __future__ import annotations

import pytest

from ecsreboot.core.errors import ConfigError
from ecsreboot.ecs import ClientConfig, default_endpoint_host, endpoint_url


def test_default_endpoint_is_https_regional() -> None:
    assert endpoint_url(None, "cn-beijing") == ("https://ecs.cn-beijing.aliyuncs.com", "ecs.cn-beijing.aliyuncs.com")


def test_cn_hangzhou_quirk() -> None:
    assert default_endpoint_host("cn-hangzhou") == "ecs-cn-hangzhou.aliyuncs.com"
    assert ClientConfig("cn-hangzhou").base_url == "https://ecs-cn-hangzhou.aliyuncs.com"


@pytest.mark.parametrize(
    ("given", "url", "host"),
    [
        ("http://127.0.0.1:8787", "http://127.0.0.1:8787", "127.0.0.1:8787"),
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787", "127.0.0.1:8787"),
        ("https://ecs-vpc.cn-beijing.aliyuncs.com", "https://ecs-vpc.cn-beijing.aliyuncs.com",
         "ecs-vpc.cn-beijing.aliyuncs.com"),
        ("ecs.cn-beijing.aliyuncs.com", "https://ecs.cn-beijing.aliyuncs.com", "ecs.cn-beijing.aliyuncs.com"),
        ("localhost:9000", "https://localhost:9000", "localhost:9000"),  # no scheme: still HTTPS
        ("http://[::1]:8787", "http://[::1]:8787", "[::1]:8787"),
    ],
)
def test_explicit_endpoints(given: str, url: str, host: str) -> None:
    assert endpoint_url(given, "cn-beijing") == (url, host)


@pytest.mark.parametrize("bad", ["ftp://host", "http://", "http://host/path", "http://h:notaport",
                                 "http://user:pw@host", "http://host?x=1", "not a url"])
def test_bad_endpoints_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError, match="endpoint"):
        ClientConfig("cn-beijing", endpoint=bad)


@pytest.mark.parametrize(
    ("kw", "match"),
    [({"region_id": ""}, "region"), ({"region_id": "Hangzhou"}, "region"),
     ({"signature_version": "v2"}, "signatureVersion"), ({"max_retries": -1}, "maxRetries"),
     ({"request_timeout": 0}, "requestTimeout"), ({"max_requests_per_second": 0}, "maxRequestsPerSecond")],
)
def test_bad_values_are_config_errors(kw: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"region_id": "cn-beijing", **kw}
    with pytest.raises(ConfigError, match=match):
        ClientConfig(**args)  # type: ignore[arg-type]
