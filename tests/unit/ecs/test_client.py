"""EcsClient: describes chunked to 100 ids and paged, counted by action, thread-safe."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from ecsreboot.core.errors import Cancelled, InvalidParameter
from tests.inprocess import ENDPOINT, REGION, InProcessCloud, ids, status_of


def _describes(ecs: InProcessCloud) -> list[dict[str, str]]:
    return [p for a, p in ecs.calls() if a == "DescribeInstances"]


def test_250_ids_take_three_describe_calls_of_at_most_100_with_page_size_100() -> None:
    ecs = InProcessCloud(ids(250))
    client = ecs.client()
    statuses = status_of(client, REGION, ids(250))
    assert statuses == dict.fromkeys(ids(250), "Running")
    calls = _describes(ecs)
    assert len(calls) == 3
    assert sorted(len(json.loads(c["InstanceIds"])) for c in calls) == [50, 100, 100]
    assert {c["PageSize"] for c in calls} == {"100"}
    assert client.stats == {"DescribeInstances": 3}


def test_pages_are_followed_while_total_count_says_more_exist() -> None:
    ecs = InProcessCloud(ids(95))
    ecs.backend.set_max_page_size(40)  # a server that pages smaller than asked
    statuses = status_of(ecs.client(), REGION, ids(95))
    assert len(statuses) == 95
    assert [c["PageNumber"] for c in _describes(ecs)] == ["1", "2", "3"]


def test_unknown_ids_are_absent_not_running() -> None:
    ecs = InProcessCloud(ids(2))
    statuses = status_of(ecs.client(), REGION, [*ids(2), "i-gone"])
    assert "i-gone" not in statuses
    assert len(_describes(ecs)) == 1


def test_duplicate_and_empty_id_lists() -> None:
    ecs = InProcessCloud(ids(2))
    client = ecs.client()
    assert status_of(client, REGION, []) == {}
    assert status_of(client, REGION, ids(2) + ids(2)) == dict.fromkeys(ids(2), "Running")
    assert client.stats == {"DescribeInstances": 1}


def test_call_rejects_bad_input_before_sending() -> None:
    ecs = InProcessCloud(ids(1))
    client = ecs.client()
    with pytest.raises(InvalidParameter, match="TooManyInstanceIds"):
        client.call("RebootInstances", {"RegionId": "r", "InstanceId": ids(101)})
    with pytest.raises(InvalidParameter, match=r"InvalidAction\.NotFound"):
        client.call("StopInstances", {})
    assert ecs.sent == [] and ecs.calls() == []


def test_v1_and_v3_requests_name_the_action() -> None:
    for version in ("v1", "v3"):
        ecs = InProcessCloud(ids(1))
        status_of(ecs.client(signature_version=version), REGION, ids(1))
        request = ecs.sent[0]
        assert request.url.startswith(f"{ENDPOINT}/?")
        assert ecs.requests()[0]["signatureVersion"] == version  # and the emulator verified that signature
        if version == "v1":
            assert "Action=DescribeInstances" in request.url and "Signature=" in request.url
        else:
            assert request.headers["x-acs-action"] == "DescribeInstances"
            assert request.headers["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=")


def test_stats_count_every_request_across_threads() -> None:
    ecs = InProcessCloud(ids(10))
    client = ecs.client()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: status_of(client, REGION, ids(10)), range(40)))
    assert client.stats == {"DescribeInstances": 40}
    assert len(set(r.headers["x-acs-signature-nonce"] for r in ecs.sent)) == 40
    assert {r["status"] for r in ecs.requests()} == {200}  # no nonce reused, every signature good


def test_describe_returns_promptly_when_cancelled_while_a_call_hangs() -> None:
    release = threading.Event()

    def hang(seconds: float) -> None:  # the service's latency waits for real here, until released
        release.wait(seconds)

    ecs = InProcessCloud(ids(1), sleep=hang)
    ecs.faults.latency(10.0, "DescribeInstances")
    client = ecs.client()
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(Cancelled):
        status_of(client, REGION, ids(1), cancel=cancel)
    release.set()
    client.close()
