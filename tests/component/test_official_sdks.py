"""The key proof: both official Alibaba Cloud SDKs, unchanged, work against the emulator.

Old SDK (aliyunsdkcore AcsClient: V1 signature only) and new SDK (alibabacloud_ecs20140526 with its
default V3 signature, and with ``signature_algorithm='v2'``, which is V1), each with a plain access key
and with STS credentials, over plain HTTP on 127.0.0.1 (each SDK's endpoint and protocol settings).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_ecs20140526 import models as ecs
from alibabacloud_ecs20140526.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.acs_exception.exceptions import ClientException as OldClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException as OldServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest
from aliyunsdkecs.request.v20140526.DescribeInstanceStatusRequest import DescribeInstanceStatusRequest
from aliyunsdkecs.request.v20140526.RebootInstanceRequest import RebootInstanceRequest
from aliyunsdkecs.request.v20140526.RebootInstancesRequest import RebootInstancesRequest
from darabonba.runtime import RuntimeOptions

from ecsreboot.core import signing
from ecsreboot.core.clock import rfc3339
from ecsreboot.core.credentials import Credentials
from ecsreboot.emulator import Attributes, ThreadedEmulator

AK, SECRET = "emulator-key", "emulator-secret"
REGION = "cn-hangzhou"
RUNTIME = RuntimeOptions(autoretry=False)
Creds = tuple[str, str, str | None]


@pytest.fixture(params=["ak", "sts"])
def creds(request: pytest.FixtureRequest, emulator_sts: tuple[str, str, str]) -> Creds:
    return (AK, SECRET, None) if request.param == "ak" else emulator_sts


@pytest.fixture(params=["v3", "v2"])
def algorithm(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- clients, configured as each SDK documents ------------------------------------------------------------------


def old_client(emu: ThreadedEmulator, creds: Creds) -> AcsClient:
    ak, secret, token = creds
    if token:
        client = AcsClient(region_id=REGION, port=emu.port, auto_retry=False,
                           credential=StsTokenCredential(ak, secret, token))
    else:
        client = AcsClient(ak, secret, REGION, port=emu.port, auto_retry=False)
    client.add_endpoint(REGION, "Ecs", "127.0.0.1")
    return client


def old_call(client: AcsClient, request: Any) -> dict[str, Any]:
    request.set_protocol_type("http")
    answer: dict[str, Any] = json.loads(client.do_action_with_exception(request))
    return answer


def old_reboot(ids: list[str], **flags: Any) -> RebootInstancesRequest:
    req = RebootInstancesRequest()
    req.set_InstanceIds(ids)
    for name, value in flags.items():
        getattr(req, f"set_{name}")(value)
    return req


def new_client(emu: ThreadedEmulator, creds: Creds, algorithm: str = "v3") -> Client:
    ak, secret, token = creds
    cfg = Config(access_key_id=ak, access_key_secret=secret, security_token=token, region_id=REGION,
                 endpoint=emu.endpoint, protocol="http")
    if algorithm == "v2":
        cfg.signature_algorithm = "v2"
    return Client(cfg)


def new_reboot(client: Client, ids: list[str], **kw: Any) -> dict[str, Any]:
    resp = client.reboot_instances_with_options(ecs.RebootInstancesRequest(region_id=REGION, instance_id=ids, **kw),
                                                RUNTIME)
    assert resp.status_code == 200
    answer: dict[str, Any] = resp.body.to_map()
    return answer


def new_statuses(client: Client, ids: list[str]) -> dict[str, str]:
    resp = client.describe_instance_status_with_options(
        ecs.DescribeInstanceStatusRequest(region_id=REGION, instance_id=ids, page_size=50), RUNTIME)
    return {s.instance_id: s.status for s in resp.body.instance_statuses.instance_status}


def raises(exc_type: type[Exception], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    return info.value


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def admin(emu: ThreadedEmulator, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{emu.url}/_emulator/{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


# --- old SDK (V1) ---------------------------------------------------------------------------------------


def test_old_sdk_reboots_and_waits_for_running(emulator: ThreadedEmulator, creds: Creds) -> None:
    client, ids = old_client(emulator, creds), emulator.instance_ids()
    body = old_call(client, old_reboot(ids[:2], ForceReboot=False))
    responses = body["InstanceResponses"]["InstanceResponse"]
    assert [(r["InstanceId"], r["Code"], r["CurrentStatus"]) for r in responses] == [
        (i, "200", "Stopping") for i in ids[:2]]
    assert body["RequestId"]
    assert emulator.reboot_counts() == {ids[0]: 1, ids[1]: 1, ids[2]: 0, ids[3]: 0}

    def statuses() -> dict[str, str]:
        req = DescribeInstanceStatusRequest()
        req.set_InstanceIds(ids)
        found = old_call(client, req)["InstanceStatuses"]["InstanceStatus"]
        return {s["InstanceId"]: s["Status"] for s in found}

    assert statuses()[ids[2]] == "Running"
    eventually(lambda: set(statuses().values()) == {"Running"})


def test_old_sdk_dry_runs(emulator: ThreadedEmulator, creds: Creds) -> None:
    client, ids = old_client(emulator, creds), emulator.instance_ids()
    err = raises(OldServerException, old_call, client, old_reboot(ids, DryRun=True))
    assert (err.get_error_code(), err.get_http_status()) == ("DRYRUN.SUCCESS", 400)
    assert err.get_request_id()
    emulator.backend.set_status(ids[0], "Stopped")
    err = raises(OldServerException, old_call, client, old_reboot(ids, DryRun=True))
    assert (err.get_error_code(), err.get_http_status()) == ("IncorrectInstanceStatus", 403)
    err = raises(OldServerException, old_call, client, old_reboot(ids, DryRun=True, BatchOptimization="SuccessFirst"))
    assert err.get_error_code() == "DRYRUN.SUCCESS"  # the documented quirk: proves nothing
    assert set(emulator.reboot_counts().values()) == {0}


def test_old_sdk_success_first(emulator: ThreadedEmulator, creds: Creds) -> None:
    client, ids = old_client(emulator, creds), emulator.instance_ids()
    body = old_call(client, old_reboot([ids[0], "i-TestID"], BatchOptimization="SuccessFirst"))
    assert [r["Code"] for r in body["InstanceResponses"]["InstanceResponse"]] == ["200", "InvalidInstanceId.NotFound"]


def test_old_sdk_reboot_instance(emulator: ThreadedEmulator, creds: Creds) -> None:
    client, ids = old_client(emulator, creds), emulator.instance_ids()
    req = RebootInstanceRequest()
    req.set_InstanceId(ids[0])
    req.set_DryRun(True)
    err = raises(OldServerException, old_call, client, req)
    assert (err.get_error_code(), err.get_http_status()) == ("DryRunOperation", 400)
    req = RebootInstanceRequest()
    req.set_InstanceId(ids[0])
    req.set_ForceStop(True)
    assert old_call(client, req)["RequestId"]
    assert emulator.reboot_counts()[ids[0]] == 1
    emulator.backend.lock(ids[1])
    req.set_InstanceId(ids[1])
    err = raises(OldServerException, old_call, client, req)
    assert (err.get_error_code(), err.get_http_status()) == ("InstanceLockedForSecurity", 403)


def test_old_sdk_sees_the_same_string_to_sign(emulator: ThreadedEmulator) -> None:
    """With a wrong secret the old SDK compares the server's StringToSign with its own; it reports
    InvalidAccessKeySecret only when they are identical, which proves our canonicalization matches."""
    err = raises(OldServerException, old_call, old_client(emulator, (AK, "wrong", None)),
                 old_reboot(emulator.instance_ids()[:1]))
    assert err.get_error_code() == "InvalidAccessKeySecret"
    assert emulator.requests()[-1]["code"] == "SignatureDoesNotMatch"


def test_old_sdk_unknown_key(emulator: ThreadedEmulator) -> None:
    err = raises(OldServerException, old_call, old_client(emulator, ("LTAIunknown", SECRET, None)),
                 old_reboot(emulator.instance_ids()[:1]))
    assert err.get_error_code() == "InvalidAccessKeyId.NotFound"


def test_old_sdk_xml_answers(emulator: ThreadedEmulator) -> None:
    client, ids = old_client(emulator, (AK, SECRET, None)), emulator.instance_ids()
    req = DescribeInstanceStatusRequest()
    req.set_protocol_type("http")
    req.set_accept_format("XML")
    root = ET.fromstring(client.do_action(req))
    assert root.tag == "DescribeInstanceStatusResponse"
    assert [e.findtext("InstanceId") for e in root.findall("InstanceStatuses/InstanceStatus")] == ids
    assert root.findtext("TotalCount") == "4"


# --- new SDK (V3 default, and v2 = V1) --------------------------------------------------------------------


def test_new_sdk_reboot_instances_and_dry_run(emulator: ThreadedEmulator, creds: Creds, algorithm: str) -> None:
    client, ids = new_client(emulator, creds, algorithm), emulator.instance_ids()
    err = raises(ClientException, new_reboot, client, ids[:2], dry_run=True)
    assert (err.code, err.status_code) == ("DRYRUN.SUCCESS", 400)
    assert err.data["Message"] == "This request is a dryrun request with successful result."
    assert err.request_id == err.data["RequestId"]
    assert set(emulator.reboot_counts().values()) == {0}
    body = new_reboot(client, ids[:2], force_reboot=True)
    assert [r["Code"] for r in body["InstanceResponses"]["InstanceResponse"]] == ["200", "200"]
    assert new_statuses(client, ids[:2]) == dict.fromkeys(ids[:2], "Stopping")
    eventually(lambda: set(new_statuses(client, ids).values()) == {"Running"})
    assert [emulator.reboot_counts()[i] for i in ids] == [1, 1, 0, 0]


def test_new_sdk_all_together_fails_as_one(emulator: ThreadedEmulator, creds: Creds, algorithm: str) -> None:
    client, ids = new_client(emulator, creds, algorithm), emulator.instance_ids()
    err = raises(ClientException, new_reboot, client, [ids[0], "i-bp1doesnotexist0000"])
    assert (err.code, err.status_code) == ("InvalidInstanceId.NotFound", 404)
    assert emulator.reboot_counts()[ids[0]] == 0


def test_new_sdk_success_first(emulator: ThreadedEmulator, creds: Creds, algorithm: str) -> None:
    client, ids = new_client(emulator, creds, algorithm), emulator.instance_ids()
    emulator.backend.set_status(ids[1], "Stopped")
    err = raises(ClientException, new_reboot, client, ids[:2], batch_optimization="SuccessFirst", dry_run=True)
    assert err.code == "DRYRUN.SUCCESS"
    body = new_reboot(client, ids[:2], batch_optimization="SuccessFirst")
    got = [(r["InstanceId"], r["Code"], r["PreviousStatus"]) for r in body["InstanceResponses"]["InstanceResponse"]]
    assert got == [(ids[0], "200", "Running"), (ids[1], "IncorrectInstanceStatus", "Stopped")]


def test_new_sdk_reboot_instance_without_region(emulator: ThreadedEmulator, creds: Creds, algorithm: str) -> None:
    client, ids = new_client(emulator, creds, algorithm), emulator.instance_ids()
    err = raises(ClientException, client.reboot_instance_with_options,
                 ecs.RebootInstanceRequest(instance_id=ids[0], dry_run=True), RUNTIME)
    assert (err.code, err.status_code) == ("DryRunOperation", 400)
    resp = client.reboot_instance_with_options(ecs.RebootInstanceRequest(instance_id=ids[0], force_stop=False),
                                               RUNTIME)
    assert resp.status_code == 200 and resp.body.request_id
    assert emulator.reboot_counts()[ids[0]] == 1
    assert "RegionId" not in emulator.requests()[-1]["params"]


def test_new_sdk_describe_instance_status_pages(emulator: ThreadedEmulator, creds: Creds, algorithm: str) -> None:
    client, ids = new_client(emulator, creds, algorithm), emulator.instance_ids()
    seen = []
    for page in (1, 2):
        body = client.describe_instance_status_with_options(
            ecs.DescribeInstanceStatusRequest(region_id=REGION, page_number=page, page_size=3), RUNTIME).body
        assert (body.total_count, body.page_number, body.page_size) == (4, page, 3)
        seen += [s.instance_id for s in body.instance_statuses.instance_status]
    assert seen == ids


def test_new_sdk_describe_instances(emulator: ThreadedEmulator, creds: Creds, algorithm: str) -> None:
    client, ids = new_client(emulator, creds, algorithm), emulator.instance_ids()
    emulator.backend.lock(ids[0], "security", "locked for the test")
    request = ecs.DescribeInstancesRequest(region_id=REGION, instance_ids=json.dumps(ids[:3]), max_results=2)
    first = client.describe_instances_with_options(request, RUNTIME).body
    assert [i.instance_id for i in first.instances.instance] == ids[:2]
    locks = first.instances.instance[0].operation_locks.lock_reason
    assert [(lock.lock_reason, lock.lock_msg) for lock in locks] == [("security", "locked for the test")]
    assert first.total_count == 3 and first.next_token
    request.next_token = first.next_token
    rest = client.describe_instances_with_options(request, RUNTIME).body
    assert [i.instance_id for i in rest.instances.instance] == [ids[2]] and not rest.next_token
    err = raises(ClientException, new_reboot, client, ids[:1])
    assert (err.code, err.status_code) == ("InstanceLockedForSecurity", 403)


def test_new_sdk_wrong_secret(emulator: ThreadedEmulator, algorithm: str) -> None:
    client = new_client(emulator, (AK, "not-the-secret", None), algorithm)
    err = raises(ClientException, new_reboot, client, emulator.instance_ids()[:1])
    assert (err.code, err.status_code) == ("SignatureDoesNotMatch", 400)
    assert "server string to sign is:" in err.data["Message"]
    assert set(emulator.reboot_counts().values()) == {0}


def test_new_sdk_unknown_key_and_bad_tokens(
    emulator: ThreadedEmulator, emulator_sts: tuple[str, str, str], algorithm: str
) -> None:
    ids = emulator.instance_ids()[:1]
    err = raises(ClientException, new_reboot, new_client(emulator, ("LTAIunknown", "x", None), algorithm), ids)
    assert err.code == "InvalidAccessKeyId.NotFound"
    ak, secret, token = emulator_sts
    err = raises(ClientException, new_reboot, new_client(emulator, (ak, secret, "forged"), algorithm), ids)
    assert err.code == "InvalidSecurityToken.Malformed"
    emulator.verifier.expire_token(token)
    err = raises(ClientException, new_reboot, new_client(emulator, emulator_sts, algorithm), ids)
    assert err.code == "InvalidSecurityToken.Expired"


# --- raw requests ---------------------------------------------------------------------------------------


def post(emu: ThreadedEmulator, query: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(f"{emu.url}/?{query}", data=b"", method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_tampered_signatures_are_rejected(emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    now, creds = rfc3339(emulator.clock.utcnow()), Credentials(AK, SECRET)
    params = signing.sign_v1("POST", {"RegionId": REGION, "InstanceId.1": ids[0]}, creds, action="RebootInstances",
                             version="2014-05-26", timestamp=now, nonce=uuid.uuid4().hex)
    sig = params["Signature"]
    params["Signature"] = ("A" if sig[0] != "A" else "B") + sig[1:]
    status, body = post(emulator, signing.canonicalized_query(params))
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert body["Message"].endswith(signing.v1_string_to_sign("POST", params))

    query = {"RegionId": REGION, "InstanceId.1": ids[0]}
    headers = signing.sign_v3("POST", emulator.endpoint, query, b"", creds, action="RebootInstances",
                              version="2014-05-26", date=now, nonce=uuid.uuid4().hex)
    headers["Authorization"] = headers["Authorization"][:-4] + "0000"
    status, body = post(emulator, signing.canonicalized_query(query), headers)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert set(emulator.reboot_counts().values()) == {0}


def test_replayed_request_is_rejected(emulator: ThreadedEmulator) -> None:
    params = signing.sign_v1("POST", {"RegionId": REGION}, Credentials(AK, SECRET), action="DescribeInstanceStatus",
                             version="2014-05-26", timestamp=rfc3339(emulator.clock.utcnow()), nonce="once")
    assert post(emulator, signing.canonicalized_query(params))[0] == 200
    status, body = post(emulator, signing.canonicalized_query(params))
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")


# --- faults ----------------------------------------------------------------------------------------------


def test_throttling_reaches_both_sdks(emulator: ThreadedEmulator, algorithm: str) -> None:
    ids = emulator.instance_ids()
    emulator.faults.throttle("RebootInstances", count=1, retry_after_ms=1500)
    err = raises(ThrottlingException, new_reboot, new_client(emulator, (AK, SECRET, None), algorithm), ids[:1])
    assert (err.code, err.status_code, err.retry_after) == ("Throttling", 400, 1500)
    emulator.faults.throttle("RebootInstances", count=1, code="Throttling.User")
    err = raises(OldServerException, old_call, old_client(emulator, (AK, SECRET, None)), old_reboot(ids[:1]))
    assert (err.get_error_code(), err.get_http_status()) == ("Throttling.User", 400)
    assert set(emulator.reboot_counts().values()) == {0}


def test_server_errors(emulator: ThreadedEmulator, algorithm: str) -> None:
    emulator.faults.error("ServiceUnavailable", 503, action="DescribeInstanceStatus")
    client = new_client(emulator, (AK, SECRET, None), algorithm)
    err = raises(ServerException, new_statuses, client, emulator.instance_ids())
    assert (err.code, err.status_code) == ("ServiceUnavailable", 503)
    assert new_statuses(client, emulator.instance_ids())  # one request only


def test_drop_after_really_reboots_then_drops(emulator: ThreadedEmulator, algorithm: str) -> None:
    ids = emulator.instance_ids()
    emulator.backend.set_durations({"Stopping": 60.0})  # keep it visibly rebooting for the checks below
    emulator.faults.drop_after("RebootInstances")
    client = new_client(emulator, (AK, SECRET, None), algorithm)
    with pytest.raises(Exception) as info:
        new_reboot(client, ids[:1])
    assert not isinstance(info.value, (ClientException, ServerException))  # no answer came back at all
    assert "RemoteDisconnected" in str(info.value) or "closed" in str(info.value).lower()
    assert emulator.reboot_counts()[ids[0]] == 1
    assert emulator.requests()[-1]["fault"] == "drop_after"
    # What a careful client does next: look, and see the reboot did happen.
    assert new_statuses(client, ids[:1]) == {ids[0]: "Stopping"}
    err = raises(ClientException, new_reboot, client, ids[:1])
    assert (err.code, err.status_code) == ("IncorrectInstanceStatus", 403)


def test_drop_before_does_not_reboot(emulator: ThreadedEmulator) -> None:
    ids = emulator.instance_ids()
    emulator.faults.drop_before("RebootInstances")
    err = raises(OldClientException, old_call, old_client(emulator, (AK, SECRET, None)), old_reboot(ids[:1]))
    assert err.get_error_code() == "SDK.HttpError"
    assert emulator.reboot_counts()[ids[0]] == 0
    old_call(old_client(emulator, (AK, SECRET, None)), old_reboot(ids[:1]))  # the next call goes through
    assert emulator.reboot_counts()[ids[0]] == 1


def test_latency_fault_delays_the_answer(emulator: ThreadedEmulator) -> None:
    emulator.faults.latency(0.2, action="DescribeInstanceStatus")
    client = new_client(emulator, (AK, SECRET, None))
    started = time.monotonic()
    new_statuses(client, emulator.instance_ids())
    assert time.monotonic() - started >= 0.2


# --- admin API over HTTP ----------------------------------------------------------------------------------


def test_admin_api_over_http(emulator: ThreadedEmulator, emulator_sts: tuple[str, str, str]) -> None:
    added = admin(emulator, "POST", "instances", {"count": 2, "region": REGION})["instanceIds"]
    assert emulator.instance_ids()[-2:] == added
    client = new_client(emulator, emulator_sts)
    admin(emulator, "POST", "status", {"instanceId": added[0], "lock": "security"})
    assert raises(ClientException, new_reboot, client, added).code == "InstanceLockedForSecurity"
    admin(emulator, "POST", "status", {"instanceId": added[0], "lock": None})
    admin(emulator, "POST", "faults", {"kind": "error", "action": "RebootInstances", "code": "InternalError",
                                       "status": 500})
    assert raises(ServerException, new_reboot, client, added).code == "InternalError"
    assert admin(emulator, "DELETE", "faults") == {"ok": True}
    new_reboot(client, added)
    reboots = admin(emulator, "GET", "reboots")
    assert {i: reboots[i] for i in added} == dict.fromkeys(added, 1)
    log = admin(emulator, "GET", "requests")["requests"]
    assert [r["code"] for r in log] == ["InstanceLockedForSecurity", "InternalError", None]
    text = json.dumps(log)
    assert all(secret not in text for secret in emulator_sts)
    admin(emulator, "POST", "config", {"latency": 0.0, "durations": {"Stopping": 0.01}})
    assert admin(emulator, "POST", "reset") == {"ok": True}
    assert len(emulator.instance_ids()) == 4 and admin(emulator, "GET", "requests") == {"requests": []}


def test_stop_closes_the_port() -> None:
    emu = ThreadedEmulator(instances=1).start()
    url = emu.url
    emu.stop()
    emu.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "/_emulator/reboots", timeout=2)


# --- a tag-filtered, paged DescribeInstances (what an instanceSelector resolves with) ------------------------


def test_both_sdks_page_a_tag_filtered_listing_with_next_token(emulator: ThreadedEmulator, creds: Creds,
                                                              algorithm: str) -> None:
    web = emulator.add_instances(130, attributes=Attributes(tags={"app": "web", "env": "prod"}, vpc_id="vpc-x",
                                                            instance_name="web-{n}"))
    emulator.add_instances(5, attributes=Attributes(tags={"app": "web"}, vpc_id="vpc-y"))

    new, token, listed = new_client(emulator, creds, algorithm), None, []
    while True:
        resp = new.describe_instances_with_options(ecs.DescribeInstancesRequest(
            region_id=REGION, vpc_id="vpc-x", max_results=100, next_token=token,
            tag=[ecs.DescribeInstancesRequestTag(key="app", value="web"), ecs.DescribeInstancesRequestTag(key="env")],
        ), RUNTIME)
        assert resp.body.total_count == 130
        listed += [(i.instance_id, i.instance_name, {t.tag_key: t.tag_value for t in i.tags.tag})
                   for i in resp.body.instances.instance]
        token = resp.body.next_token
        if not token:
            break
    assert [i for i, _, _ in listed] == web
    assert listed[0][1:] == ("web-1", {"app": "web", "env": "prod"})

    old, token, ids = old_client(emulator, creds), None, []
    while True:
        req = DescribeInstancesRequest()
        req.set_Tags([{"Key": "app", "Value": "web"}])
        req.set_InstanceName("web-1*")
        req.set_MaxResults(20)
        if token:
            req.set_NextToken(token)
        answer = old_call(old, req)
        ids += [i["InstanceId"] for i in answer["Instances"]["Instance"]]
        token = answer.get("NextToken")
        if not token:
            break
    names = {i["instanceId"]: i["instanceName"] for i in admin(emulator, "GET", "instances")["instances"]}
    assert sorted(names[i] for i in ids) == sorted(f"web-{n}" for n in [1, *range(10, 20), *range(100, 131)])
