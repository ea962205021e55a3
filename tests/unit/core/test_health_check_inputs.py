"""Check of healthCheck, maxFailures and pauseBetweenWaves; the URL helpers that keep tokens out of logs."""

from __future__ import annotations

from typing import Any

import pytest

from ecsreboot.core.checks import check_inputs
from ecsreboot.core.health import HealthCheck, fill, redact_url
from ecsreboot.core.values import UNKNOWN, Secret

GOOD = {"instanceIds": ["i-aaaa", "i-bbbb"], "regionId": "cn-hangzhou"}
URL = "http://{privateIp}:8080/healthz"


def failures_of(**inputs: Any) -> dict[str, str]:
    _, failures = check_inputs({**GOOD, **inputs}, default_region=None)
    return {f.property: f.reason for f in failures}


def test_defaults_of_the_health_check_are_filled_and_numbers_normalized() -> None:
    checked, failures = check_inputs({**GOOD, "healthCheck": {"url": URL, "healthyThreshold": 2.0,
                                                              "expectedStatus": [200.0, 204.0]},
                                      "maxFailures": 1.0, "pauseBetweenWaves": 30}, default_region=None)
    assert failures == []
    assert checked["healthCheck"] == {"url": URL, "healthyThreshold": 2, "expectedStatus": [200, 204],
                                      "timeoutSeconds": 5.0, "intervalSeconds": 5.0, "initialDelaySeconds": 0.0}
    assert checked["maxFailures"] == 1 and isinstance(checked["maxFailures"], int)
    assert checked["pauseBetweenWaves"] == 30.0
    assert "healthCheck" not in check_inputs(GOOD, default_region=None)[0]  # no check unless asked


@pytest.mark.parametrize(("health", "prop", "words"), [
    ({"url": "ftp://{privateIp}/x"}, "healthCheck.url", "http://, https:// or tcp://"),
    ({"url": "http://{privateIP}:80/"}, "healthCheck.url", "unknown placeholder(s) {privateIP}"),
    ({"url": "http:///healthz"}, "healthCheck.url", "no host"),
    ({"url": "tcp://{privateIp}"}, "healthCheck.url", "needs a port"),
    ({"url": "http://{privateIp}:99999/"}, "healthCheck.url", "not a valid URL"),
    ({}, "healthCheck.url", "required"),
    ({"url": URL, "timeoutSeconds": 0}, "healthCheck.timeoutSeconds", "greater than 0"),
    ({"url": URL, "intervalSeconds": -1}, "healthCheck.intervalSeconds", "greater than 0"),
    ({"url": URL, "initialDelaySeconds": -1}, "healthCheck.initialDelaySeconds", "at least 0"),
    ({"url": URL, "healthyThreshold": 0}, "healthCheck.healthyThreshold", "at least 1"),
    ({"url": URL, "unhealthyThreshold": 1.5}, "healthCheck.unhealthyThreshold", "whole number"),
    ({"url": URL, "expectedStatus": [700]}, "healthCheck.expectedStatus", "100-599"),
    ({"url": URL, "expectedStatus": []}, "healthCheck.expectedStatus", "non-empty"),
    ({"url": URL, "path": "/x"}, "healthCheck.path", "unknown field"),
])
def test_each_bad_field_is_its_own_named_failure(health: dict[str, Any], prop: str, words: str) -> None:
    found = failures_of(healthCheck=health)
    assert prop in found and words in found[prop], found


def test_several_bad_fields_give_several_failures() -> None:
    found = failures_of(healthCheck={"url": "gopher://x", "timeoutSeconds": 0, "healthyThreshold": 0})
    assert {"healthCheck.url", "healthCheck.timeoutSeconds", "healthCheck.healthyThreshold"} <= set(found)


@pytest.mark.parametrize(("inputs", "prop", "words"), [
    ({"healthCheck": {"url": URL}, "waitForRunning": False}, "healthCheck", "waitForRunning: true"),
    ({"healthCheck": "http://x"}, "healthCheck", "object"),
    ({"maxFailures": -1}, "maxFailures", "at least 0"),
    ({"maxFailures": 0.5}, "maxFailures", "whole number"),
    ({"pauseBetweenWaves": -5}, "pauseBetweenWaves", "at least 0"),
    ({"pauseBetweenWaves": "10s"}, "pauseBetweenWaves", "number"),
])
def test_other_bad_inputs(inputs: dict[str, Any], prop: str, words: str) -> None:
    found = failures_of(**inputs)
    assert prop in found and words in found[prop], found


def test_unknown_values_are_not_judged_in_preview() -> None:
    assert failures_of(healthCheck=UNKNOWN, waitForRunning=False) == {}


def test_a_secret_health_check_stays_secret_and_its_failures_do_not_quote_it() -> None:
    checked, failures = check_inputs({**GOOD, "healthCheck": Secret({"url": "https://u:tok3n@{privateIp}/h?k=v"})},
                                     default_region=None)
    assert failures == [] and isinstance(checked["healthCheck"], Secret)
    partly, _ = check_inputs({**GOOD, "healthCheck": {"url": Secret("https://{privateIp}/h?k=v")}}, default_region=None)
    assert isinstance(partly["healthCheck"], Secret)  # one secret field: the whole check is secret
    found = failures_of(healthCheck=Secret({"url": "https://{privateIp}/h?token=SeCrEt9", "timeoutSeconds": -3}))
    assert "healthCheck.timeoutSeconds" in found
    assert all("SeCrEt9" not in r and "-3" not in r for r in found.values())


def test_redacted_urls_drop_user_info_query_and_fragment() -> None:
    assert redact_url("https://user:pa55@{privateIp}:8443/health?token=abc#x") == "https://{privateIp}:8443/health"
    assert HealthCheck("http://a:b@{privateIp}/x?y=z").shown_url() == "http://{privateIp}/x"
    assert HealthCheck("http://{privateIp}/x", secret=True).shown_url() == "(secret)"


def test_fill_reports_the_missing_placeholder() -> None:
    values = {"instanceId": "i-1", "privateIp": "10.0.0.5", "publicIp": ""}
    assert fill("http://{privateIp}/{instanceId}", values) == ("http://10.0.0.5/i-1", None)
    assert fill("http://{publicIp}/", values) == (None, "publicIp")
