"""Preview of a health-gated rollout: the plan as an info message, URL masked, nothing probed or rebooted."""

from __future__ import annotations

from ecsreboot.core.model import ProgressEvent
from ecsreboot.core.values import Secret
from tests.unit.lifecycle.test_lifecycle import FakeBackend, inputs, make, run_create

TOKEN_URL = "https://probe:s3cr3tPass@{privateIp}:8443/healthz?token=T0KEN"
HEALTH = {"url": TOKEN_URL, "timeoutSeconds": 2.0, "intervalSeconds": 3.0, "healthyThreshold": 2,
          "unhealthyThreshold": 4, "initialDelaySeconds": 10.0}


def plan_of(events: list[ProgressEvent]) -> str:
    plans = [e.message for e in events if e.kind == "plan"]
    assert len(plans) == 1 and not any(e.ephemeral for e in events if e.kind == "plan")
    return plans[0]


def test_preview_shows_the_rollout_plan_with_the_url_masked_and_reboots_nothing() -> None:
    backend = FakeBackend()
    events: list[ProgressEvent] = []
    run_create(make(backend), inputs(maxUnavailable=2, healthCheck=HEALTH, maxFailures=1, pauseBetweenWaves=30.0),
               preview=True, events=events)
    plan = plan_of(events)
    assert "3 instance(s) in 2 wave(s) of at most 2" in plan
    assert "https://{privateIp}:8443/healthz" in plan and "every 3s (timeout 2s)" in plan
    assert "healthy after 2" in plan and "after 4 failure(s)" in plan and "10s after Running" in plan
    assert "more than 1 failed" in plan and "pauses 30s between waves" in plan and "no probe is sent" in plan
    assert "s3cr3tPass" not in plan and "T0KEN" not in plan and "probe:" not in plan
    assert backend.rounds == []  # nothing rebooted, nothing probed


def test_a_secret_health_check_is_not_shown_even_masked() -> None:
    events: list[ProgressEvent] = []
    run_create(make(FakeBackend()), inputs(healthCheck=Secret(HEALTH)), preview=True, events=events)
    plan = plan_of(events)
    assert "(secret)" in plan and "{privateIp}" not in plan and "8443" not in plan


def test_apply_passes_the_health_gate_to_the_round() -> None:
    backend = FakeBackend()
    run_create(make(backend), inputs(maxUnavailable=1, healthCheck=Secret(HEALTH), maxFailures=0,
                                     pauseBetweenWaves=5.0))
    (_, options), = backend.rounds
    assert options.health_check is not None and options.health_check.secret
    assert options.health_check.url == TOKEN_URL and options.health_check.unhealthy_threshold == 4
    assert options.max_failures == 0 and options.pause_between_waves == 5.0
