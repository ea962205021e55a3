"""EcsClient against the real emulator over loopback: both signatures, retries, lost replies, auth errors."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import pytest

from ecsreboot.core.credentials import Credentials
from ecsreboot.core.errors import AuthFailure, Forbidden, TransportError
from ecsreboot.ecs import ClientConfig, EcsClient, StaticCredentialsProvider
from ecsreboot.emulator import ThreadedEmulator
from tests.inprocess import status_of
from tests.recovery import rebooter

MakeClient = Callable[..., EcsClient]


def _requests(emulator: ThreadedEmulator, action: str) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["action"] == action]


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_both_signature_versions_are_accepted(emulator: ThreadedEmulator, ecs_client_for: MakeClient,
                                              version: str) -> None:
    client = ecs_client_for(emulator, signature_version=version)
    assert status_of(client, "cn-hangzhou", emulator.instance_ids()) == dict.fromkeys(
        emulator.instance_ids(), "Running")
    reply = rebooter(client).reboot_instances("cn-hangzhou", emulator.instance_ids()[:2])
    assert [o.code for o in reply.outcomes] == ["200", "200"]
    assert {r["signatureVersion"] for r in emulator.requests()} == {version}
    assert reply.request_ids == [_requests(emulator, "RebootInstances")[0]["requestId"]]


def test_sts_credentials_carry_their_token(emulator: ThreadedEmulator, emulator_sts: tuple[str, str, str]) -> None:
    for version in ("v1", "v3"):
        client = EcsClient(ClientConfig("cn-hangzhou", endpoint=emulator.url, signature_version=version),
                           StaticCredentialsProvider(Credentials(*emulator_sts)))
        assert len(status_of(client, "cn-hangzhou", emulator.instance_ids())) == 4
        client.close()


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_a_wrong_secret_is_an_auth_failure_naming_code_and_request_id(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient, version: str) -> None:
    client = ecs_client_for(emulator, secret="not-the-secret", signature_version=version)
    with pytest.raises(AuthFailure) as caught:
        status_of(client, "cn-hangzhou", emulator.instance_ids())
    err = caught.value
    logged = emulator.requests()[-1]
    assert err.code == "SignatureDoesNotMatch" == logged["code"]
    assert f"[RequestId: {logged['requestId']}]" in str(err)
    assert "not-the-secret" not in str(err)
    assert client.stats == {"DescribeInstances": 1}  # not retried


@pytest.mark.parametrize(("code", "api"), [("Forbidden.RAM", "RebootInstances"), ("NoPermission", "RebootInstance")])
def test_a_ram_denial_names_the_ram_action_to_grant(emulator: ThreadedEmulator, ecs_client_for: MakeClient,
                                                    code: str, api: str) -> None:
    """The service says only that the call was refused; the two reboot APIs need different grants."""
    emulator.faults.error(code, action=api, message="User not authorized to operate on the specified resource.")
    emulator.faults.error(code, action="DescribeInstances", count=1)
    client = ecs_client_for(emulator)
    target = emulator.instance_ids()[0]
    with pytest.raises(Forbidden) as caught:
        status_of(client, "cn-hangzhou", [target])
    assert "must allow ecs:DescribeInstances" in str(caught.value)
    calls = rebooter(client)
    reply = calls.reboot_instances("cn-hangzhou", [target]) if api == "RebootInstances" else \
        calls.reboot_instance("cn-hangzhou", target)
    [outcome] = reply.outcomes
    assert outcome.code == code and _requests(emulator, api)[0]["status"] == 403
    assert outcome.message.startswith("User not authorized to operate on the specified resource. "
                                      f"(the RAM policy of these credentials must allow ecs:{api})")
    assert emulator.reboot_counts()[target] == 0


def test_250_ids_are_described_in_three_calls(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.add_instances(246)
    client = ecs_client_for(emulator)
    statuses = status_of(client, "cn-hangzhou", emulator.instance_ids())
    assert len(statuses) == 250 and set(statuses.values()) == {"Running"}
    assert len(_requests(emulator, "DescribeInstances")) == 3


def test_throttling_is_retried_honouring_retry_after(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.faults.throttle("RebootInstances", count=2, retry_after_ms=100)
    client = ecs_client_for(emulator)
    ids = emulator.instance_ids()
    reply = rebooter(client).reboot_instances("cn-hangzhou", ids)
    assert all(o.ok for o in reply.outcomes)
    assert [r["fault"] for r in _requests(emulator, "RebootInstances")] == ["throttle", "throttle", None]
    assert emulator.reboot_counts() == dict.fromkeys(ids, 1)


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("ServiceUnavailable", 503)])
def test_server_errors_are_retried(emulator: ThreadedEmulator, ecs_client_for: MakeClient, code: str,
                                   status: int) -> None:
    emulator.faults.error(code, status, "DescribeInstances", count=2)
    emulator.faults.error(code, status, "RebootInstances", count=1)
    client = ecs_client_for(emulator)
    assert len(status_of(client, "cn-hangzhou", emulator.instance_ids())) == 4
    reply = rebooter(client).reboot_instances("cn-hangzhou", emulator.instance_ids())
    assert all(o.ok for o in reply.outcomes)
    # 3 for the describe, 1 for the look before the reboot
    assert client.stats == {"DescribeInstances": 4, "RebootInstances": 2}
    assert set(emulator.reboot_counts().values()) == {1}


def test_retries_give_up_after_max_retries(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.faults.error("ServiceUnavailable", 503, "RebootInstances", count=10)
    client = ecs_client_for(emulator, max_retries=2)
    reply = rebooter(client).reboot_instances("cn-hangzhou", emulator.instance_ids())
    assert {o.code for o in reply.outcomes} == {"ServiceUnavailable"}
    assert client.stats == {"DescribeInstances": 1, "RebootInstances": 3}  # the look before, then 3 tries
    assert set(emulator.reboot_counts().values()) == {0}


@pytest.mark.parametrize("mode", ["AllTogether", "SuccessFirst"])
def test_reply_dropped_after_the_reboot_ran_reboots_every_instance_exactly_once(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient, mode: str) -> None:
    emulator.backend.set_durations({"Stopping": 0.5, "Starting": 0.5})
    emulator.faults.drop_after("RebootInstances")
    client = rebooter(ecs_client_for(emulator), interval=0.1)
    reply = client.reboot_instances("cn-hangzhou", emulator.instance_ids(), batch_optimization=mode)  # type: ignore[arg-type]
    assert emulator.reboot_counts() == dict.fromkeys(emulator.instance_ids(), 1)
    assert len(_requests(emulator, "RebootInstances")) == 1
    assert all(o.ok and "reboot confirmed" in o.message for o in reply.outcomes)


def test_reply_dropped_before_anything_ran_is_rebooted_once_after_the_retry(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.faults.drop_before("RebootInstances")
    client = rebooter(ecs_client_for(emulator), interval=0.05)
    reply = client.reboot_instances("cn-hangzhou", emulator.instance_ids())
    assert emulator.reboot_counts() == dict.fromkeys(emulator.instance_ids(), 1)
    assert [r["fault"] for r in _requests(emulator, "RebootInstances")] == ["drop_before", None]
    assert all(o.ok and o.message == "success" for o in reply.outcomes)


def test_single_instance_api_after_a_dropped_reply(emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    emulator.backend.set_durations({"Stopping": 0.5, "Starting": 0.5})
    emulator.faults.drop_after("RebootInstance")
    target = emulator.instance_ids()[0]
    reply = rebooter(ecs_client_for(emulator), interval=0.1).reboot_instance("cn-hangzhou", target)
    assert reply.outcomes[0].ok
    assert emulator.reboot_counts()[target] == 1
    assert _requests(emulator, "RebootInstances") == []


def test_read_timeout_while_the_server_is_slow_to_act_still_reboots_once(
        emulator: ThreadedEmulator, ecs_client_for: MakeClient) -> None:
    # The reboot runs only after 0.6 s, well after the client gave up at 0.3 s: the first status
    # polls still see Running, and the grace polls must catch the transition before re-sending.
    emulator.backend.set_durations({"Stopping": 1.0, "Starting": 0.5})
    emulator.faults.latency(0.6, "RebootInstances", count=1)
    client = rebooter(ecs_client_for(emulator, request_timeout=0.3), polls=5, interval=0.25)
    reply = client.reboot_instances("cn-hangzhou", emulator.instance_ids())
    assert emulator.reboot_counts() == dict.fromkeys(emulator.instance_ids(), 1)
    assert all(o.ok for o in reply.outcomes)
    assert len(_requests(emulator, "RebootInstances")) == 1


def test_connection_refused_is_a_transport_error_that_was_not_sent(ecs_client_for: MakeClient) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = ecs_client_for(None, endpoint=f"http://127.0.0.1:{port}", max_retries=1)
    with pytest.raises(TransportError) as caught:
        status_of(client, "cn-hangzhou", ["i-1"])
    assert caught.value.sent is False and client.stats == {"DescribeInstances": 2}
    reply = rebooter(client).reboot_instances("cn-hangzhou", ["i-1"])
    assert reply.outcomes[0].code == "TransportError" and "request not sent" in reply.outcomes[0].message
