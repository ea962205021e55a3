"""assembly/config: CheckConfig validation, environment fallbacks and typed settings, as the module states."""

from __future__ import annotations

from typing import Any

import pytest

from ecsreboot.assembly.config import ProviderConfig, check_config, normalize, resolve
from ecsreboot.core.resource import CONFIG
from ecsreboot.core.values import UNKNOWN, Secret

KEY, SECRET = "LTAI5tConfigUnitKey01", "ConfigUnitSecretValue02"


def failures(news: dict[str, Any], environ: dict[str, str] | None = None) -> dict[str, str]:
    return {f.property: f.reason for f in check_config(news, environ or {})[1]}


def test_prefixes_are_dropped() -> None:
    assert normalize({"ecsreboot:region": 1, "ecsreboot:config:maxRetries": 2, "endpoint": 3}) == {
        "region": 1, "maxRetries": 2, "endpoint": 3}


def test_good_config_passes_and_secret_keys_come_back_secret() -> None:
    checked, found = check_config({"ecsreboot:region": "cn-beijing", "accessKey": KEY, "secretKey": Secret(SECRET),
                                   "securityToken": UNKNOWN, "maxRetries": "3", "version": "0.1.0"}, {})
    assert found == []
    assert checked["accessKey"] == Secret(KEY) and checked["secretKey"] == Secret(SECRET)
    assert checked["securityToken"] is UNKNOWN  # an unknown stays unknown, not a secret unknown
    assert checked["region"] == "cn-beijing" and checked["version"] == "0.1.0"


def test_an_unknown_key_is_named_with_the_known_ones() -> None:
    reason = failures({"regoin": "cn-beijing"})["regoin"]
    assert "ecsreboot:regoin" in reason and all(p.name in reason for p in CONFIG)


@pytest.mark.parametrize(("news", "prop", "part"), [
    ({"region": "Hangzhou"}, "region", "not a region id"),
    ({"maxRetries": "1.5"}, "maxRetries", "whole number"),
    ({"maxRetries": "-1"}, "maxRetries", "at least 0"),
    ({"maxRetries": "true"}, "maxRetries", "finite number"),
    ({"requestTimeout": "0"}, "requestTimeout", "greater than 0"),
    ({"requestTimeout": "NaN"}, "requestTimeout", "finite number"),
    ({"requestTimeout": "1e9"}, "requestTimeout", "seconds)"),
    ({"maxRequestsPerSecond": "1e9"}, "maxRequestsPerSecond", "at most"),
    ({"signatureVersion": "v2"}, "signatureVersion", "one of v1, v3"),
    ({"endpoint": "ftp://x"}, "endpoint", ""),
    ({"accessKey": KEY}, "secretKey", "accessKey is set but secretKey is not"),
    ({"secretKey": SECRET}, "accessKey", "secretKey is set but accessKey is not"),
])
def test_bad_config_fails_naming_the_key(news: dict[str, Any], prop: str, part: str) -> None:
    found = failures(news)
    assert prop in found and part in found[prop], found


def test_a_bounded_number_names_its_whole_range() -> None:
    assert "(accepted: more than 0 to" in failures({"requestTimeout": "0"})["requestTimeout"]


def test_a_secret_value_is_never_quoted_back() -> None:
    for news in ({"region": Secret("NotARegion42")}, {"maxRetries": Secret("NotARegion42")},
                 {"endpoint": Secret("ftp://NotARegion42")}, {"accessKey": 42.0, "secretKey": "NotARegion42"}):
        found = failures(news)
        assert found and not any("NotARegion42" in reason for reason in found.values()), found


def test_the_environment_fills_the_pair_check() -> None:
    assert failures({"accessKey": KEY}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET}) == {}


def test_resolve_prefers_config_then_each_environment_variable_in_order() -> None:
    env = {"ALICLOUD_REGION": "cn-shanghai", "ALIBABA_CLOUD_REGION_ID": "", "ALICLOUD_ACCESS_KEY": KEY,
           "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET, "ECSREBOOT_ENDPOINT": "http://127.0.0.1:1"}
    config = resolve({"ecsreboot:maxRetries": "2", "requestTimeout": "2.5", "endpoint": ""}, env)
    assert config == ProviderConfig(region="cn-shanghai", access_key=KEY, secret_key=SECRET,
                                    endpoint="http://127.0.0.1:1", max_retries=2, request_timeout=2.5)
    assert resolve({"region": "cn-beijing"}, {"ALIBABA_CLOUD_REGION_ID": "cn-shanghai"}).region == "cn-beijing"


def test_resolve_treats_unknowns_as_unset_and_reveals_secrets() -> None:
    config = resolve({"region": UNKNOWN, "accessKey": Secret(KEY), "secretKey": Secret(SECRET)},
                     {"ALIBABA_CLOUD_REGION_ID": "cn-shanghai"})
    assert config.region == "cn-shanghai" and config.access_key == KEY and config.secret_key == SECRET


def test_defaults_and_a_json_quoted_string() -> None:
    assert resolve({}, {}) == ProviderConfig()
    assert ProviderConfig().signature_version == "v3" and ProviderConfig().max_retries == 5
    assert resolve({"signatureVersion": '"v1"'}, {}).signature_version == "v1"  # Python codegen quotes enums
    assert failures({"signatureVersion": '"v1"'}) == {}


def test_the_repr_hides_every_credential() -> None:
    config = resolve({"accessKey": KEY, "secretKey": SECRET, "securityToken": "TokenValue03"}, {})
    assert config.access_key == KEY
    assert not any(v in repr(config) for v in (KEY, SECRET, "TokenValue03"))
