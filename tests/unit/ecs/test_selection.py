"""select_instances through the real EcsClient against the in-process emulator: paging with MaxResults and
NextToken, every filter, the maxInstances guard, the empty and the permission-denied selection, records the
selector does not describe, a listing that never ends; and a round whose first wave takes the selection's look
as its evidence (no second describe of the same instances, exactly-once after a lost reply)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from ecsreboot.core.errors import SelectionError, TransportError
from ecsreboot.core.model import RoundOptions
from ecsreboot.core.selection import Selection, Selector
from ecsreboot.ecs import HttpRequest, HttpResponse, run_round, select_instances
from ecsreboot.ecs.evidence import Baseline
from ecsreboot.emulator import Attributes
from tests.inprocess import REGION, InProcessCloud, instance_ids_of

WEB = Attributes(tags={"app": "web"}, vpc_id="vpc-x", instance_name="web-{n}")


def cloud(web: int = 250, others: int = 40) -> tuple[InProcessCloud, list[str]]:
    """``others`` untagged instances, then ``web`` tagged app=web in vpc-x, named web-1..."""
    ecs = InProcessCloud(others, durations={"Stopping": 2.0, "Starting": 3.0})
    return ecs, ecs.backend.add_instances(web, REGION, attributes=WEB)


def select(ecs: InProcessCloud, selector: dict[str, Any], client: Any = None, **kw: Any) -> Selection:
    return select_instances(client or ecs.client(), Selector.from_input(selector), REGION, **kw)


def failure(ecs: InProcessCloud, selector: dict[str, Any], client: Any = None) -> str:
    with pytest.raises(SelectionError) as info:
        select(ecs, selector, client)
    return str(info.value)


def describes(ecs: InProcessCloud) -> list[dict[str, str]]:
    return [p for a, p in ecs.calls() if a == "DescribeInstances"]


class Rewriting:
    """A transport in front of the cloud that rewrites each JSON reply (a service that misbehaves)."""

    def __init__(self, ecs: InProcessCloud, rewrite: Callable[[dict[str, Any]], None]) -> None:
        self.ecs, self.rewrite = ecs, rewrite

    def send(self, request: HttpRequest) -> HttpResponse:
        response = self.ecs.send(request)
        if response.status != 200:
            return response
        body = json.loads(response.body)
        self.rewrite(body)
        return HttpResponse(response.status, response.headers, json.dumps(body).encode())

    def close(self) -> None:
        """Nothing to release."""


def test_250_selected_instances_come_in_three_pages_of_max_results_100() -> None:
    ecs, web = cloud()
    listed: list[int] = []
    selection = select(ecs, {"tags": {"app": "web"}, "vpcId": "vpc-x"}, on_listed=listed.append)
    assert list(selection.instance_ids) == web
    calls = describes(ecs)
    assert [c.get("MaxResults") for c in calls] == ["100"] * 3
    assert "NextToken" not in calls[0] and calls[1]["NextToken"] and calls[2]["NextToken"]
    assert all(c["Tag.1.Key"] == "app" and c["Tag.1.Value"] == "web" and c["VpcId"] == "vpc-x" for c in calls)
    assert listed == [100, 200, 250] and len(selection.request_ids) == 3 and selection.warnings == ()
    assert isinstance(selection.looked, Baseline)
    assert set(selection.looked.states) == set(web)
    assert all(s.status == "Running" and s.start_time for s in selection.looked.states.values())


def test_a_service_that_pages_smaller_than_asked_is_followed_to_the_end() -> None:
    ecs, web = cloud()
    ecs.backend.set_max_page_size(7)
    assert list(select(ecs, {"tags": {"app": "web"}}).instance_ids) == web
    assert len(describes(ecs)) == 36  # ceil(250 / 7)


@pytest.mark.parametrize(("selector", "expected"), [
    ({"tags": {"app": ""}}, "web"),
    ({"tags": {"app": "web"}, "instanceName": "web-1*"}, ["web-1", "web-10", "web-11", "web-12"]),
    ({"instanceName": "web-7"}, ["web-7"]),
    ({"vpcId": "vpc-x", "zoneId": "cn-hangzhou-h", "vSwitchId": "vsw-cn-hangzhou-h-emulated",
      "resourceGroupId": "rg-emulated-default"}, "web"),
])
def test_each_filter_reaches_the_service_and_selects_what_it_names(selector: dict[str, Any],
                                                                   expected: Any) -> None:
    ecs, web = cloud(web=12, others=5)
    selection = select(ecs, selector)
    if expected == "web":
        assert list(selection.instance_ids) == web
    else:
        names = {v.instance_id: v.instance_name for v in ecs.backend.instances()}
        assert [names[i] for i in selection.instance_ids] == expected


def test_the_guard_fails_on_the_first_page_s_total_count_before_paging_on() -> None:
    ecs, _ = cloud()
    text = failure(ecs, {"tags": {"app": "web"}, "maxInstances": 249})
    assert "selects 250 instances in cn-hangzhou, more than maxInstances (249): nothing was rebooted" in text
    assert "tags app=web" in text
    assert len(describes(ecs)) == 1
    assert select(ecs, {"tags": {"app": "web"}, "maxInstances": 250}).instance_ids  # exactly the guard passes


def test_without_total_count_the_guard_counts_and_stops_listing_once_past_it() -> None:
    ecs, _ = cloud()
    client = ecs.client(transport=Rewriting(ecs, lambda body: body.pop("TotalCount", None)))
    text = failure(ecs, {"tags": {"app": "web"}, "maxInstances": 150}, client)
    assert "selects at least 200 instances" in text and "maxInstances (150)" in text
    assert len(describes(ecs)) == 2  # page 3 is never asked for


def test_an_empty_selection_is_checked_with_a_dry_run_that_passes() -> None:
    ecs, _ = cloud(web=3)
    text = failure(ecs, {"tags": {"app": "mail"}})
    assert "selects no instance in cn-hangzhou: nothing was rebooted" in text
    assert "A DryRun of DescribeInstances passed" in text and "check the filters" in text
    calls = describes(ecs)
    assert [c.get("DryRun") for c in calls] == [None, "true"]
    assert calls[1]["Tag.1.Key"] == "app" and calls[1]["Tag.1.Value"] == "mail"  # the same call, as a dry run


def test_a_caller_without_the_describe_permission_is_told_which_grant_is_missing() -> None:
    ecs, _ = cloud(web=3)
    ecs.backend.set_describe_denied(True)
    text = failure(ecs, {"tags": {"app": "web"}})
    assert "selects no instance" in text and "a DryRun of the same DescribeInstances was refused" in text
    assert "Forbidden.RAM" in text and "must allow ecs:DescribeInstances" in text
    assert "lists no instance, rather than refusing" in text


def test_an_empty_selection_whose_dry_run_cannot_be_read_says_so() -> None:
    ecs, _ = cloud(web=3)

    class LostDryRun:
        """The listing answers (empty); the DryRun's reply is lost."""

        def __init__(self, client: Any) -> None:
            self.client, self.clock = client, client.clock

        def list_instances(self, *args: Any, **kw: Any) -> Any:
            return self.client.list_instances(*args, **kw)

        def call(self, action: str, params: Any, **kw: Any) -> Any:
            raise TransportError("connection reset by peer", sent=True, action=action)

    text = failure(ecs, {"tags": {"app": "mail"}}, LostDryRun(ecs.client()))
    assert "selects no instance" in text and "could not be checked" in text and "connection reset" in text


def test_a_record_the_selector_does_not_describe_fails_the_selection() -> None:
    ecs, web = cloud(web=5)

    def ignore_vpc(body: dict[str, Any]) -> None:  # the service ignored VpcId: one record is in another VPC
        body["Instances"]["Instance"][2]["VpcAttributes"]["VpcId"] = "vpc-other"

    text = failure(ecs, {"tags": {"app": "web"}, "vpcId": "vpc-x"}, ecs.client(transport=Rewriting(ecs, ignore_vpc)))
    assert f"listed {web[2]}" in text and "its VpcId is 'vpc-other'" in text
    assert "not trusted and nothing was rebooted" in text


def test_a_listing_whose_next_token_repeats_is_refused() -> None:
    ecs, _ = cloud()
    first: list[str] = []

    def loop(body: dict[str, Any]) -> None:
        if body.get("NextToken"):
            first.append(body["NextToken"])
            body["NextToken"] = first[0]

    text = failure(ecs, {"tags": {"app": "web"}}, ecs.client(transport=Rewriting(ecs, loop)))
    assert "did not stop paging" in text and len(describes(ecs)) == 2


def test_a_listing_shorter_than_its_total_count_is_a_warning() -> None:
    ecs, web = cloud(web=30)
    client = ecs.client(transport=Rewriting(ecs, lambda body: body.update(TotalCount=31)))
    selection = select(ecs, {"tags": {"app": "web"}}, client)
    assert list(selection.instance_ids) == web
    assert selection.warnings == ("DescribeInstances reported 31 matching instances but listed 30 (the fleet changed "
                                  "while it was paged through?): only the 30 listed are selected",)


def test_a_tag_selection_of_a_thousand_warns_that_the_api_caps_it_there() -> None:
    ecs, _ = cloud(web=1000, others=0)
    selection = select(ecs, {"tags": {"app": "web"}})
    assert len(selection.instance_ids) == 1000
    assert len(selection.warnings) == 1 and "at most 1,000 for a tag or resource group filter" in selection.warnings[0]
    assert select(ecs, {"vpcId": "vpc-x"}).warnings == ()  # a VPC filter has no such cap


# --- the round takes the selection's look ------------------------------------------------------------------


def test_the_first_wave_takes_the_selection_s_look_and_later_waves_look_for_themselves() -> None:
    ecs, web = cloud(web=250, others=10)
    selection = select(ecs, {"tags": {"app": "web"}})
    before = len(ecs.calls())
    result = run_round(ecs.rebooter(), list(selection.instance_ids), RoundOptions(REGION, max_unavailable=100),
                       progress=lambda e: None, cancel=threading.Event(), clock=ecs.clock,
                       looked=selection.looked)
    assert result.ok and ecs.rebooted() == dict.fromkeys(web, 1)
    calls = ecs.calls()[before:]
    first_reboot = next(k for k, (a, _) in enumerate(calls) if a == "RebootInstances")
    assert first_reboot == 0  # no describe of wave 1 before its reboot: the listing was its look
    looks = [instance_ids_of(p) for k, (a, p) in enumerate(calls[:-1])
             if a == "DescribeInstances" and calls[k + 1][0] == "RebootInstances"]
    assert looks == [web[100:200], web[200:]]  # waves 2 and 3 look at their own instances right before


def test_ids_beside_the_selection_are_looked_at_and_the_rest_is_not() -> None:
    ecs, web = cloud(web=5, others=3)
    extra = ecs.instance_ids()[:2]
    assert not set(extra) & set(web)
    selection = select(ecs, {"tags": {"app": "web"}})
    before = len(ecs.calls())
    run_round(ecs.rebooter(), extra + list(selection.instance_ids), RoundOptions(REGION), progress=lambda e: None,
              cancel=threading.Event(), clock=ecs.clock, looked=selection.looked)
    action, params = ecs.calls()[before]
    assert action == "DescribeInstances" and instance_ids_of(params) == extra
    assert ecs.calls()[before + 1][0] == "RebootInstances"


def test_a_lost_reply_in_the_first_wave_is_settled_from_the_selection_s_look_exactly_once() -> None:
    """The instances are Running again by the first look after the loss (no time in Stopping/Starting): only a
    StartTime later than the one the selection saw proves the lost call rebooted them."""
    ecs = InProcessCloud(0, durations={"Stopping": 0.0, "Starting": 0.0})
    web = ecs.backend.add_instances(4, REGION, attributes=WEB)
    selection = select(ecs, {"tags": {"app": "web"}})
    ecs.faults.drop_after("RebootInstances", count=1)  # the reboot ran; its reply is lost
    before = len(ecs.calls())
    result = run_round(ecs.rebooter(), list(selection.instance_ids), RoundOptions(REGION), progress=lambda e: None,
                       cancel=threading.Event(), clock=ecs.clock, looked=selection.looked)
    assert ecs.calls()[before][0] == "RebootInstances"  # the selection's listing was the only look before
    assert ecs.rebooted() == dict.fromkeys(web, 1)  # never sent twice
    assert result.ok and all("reboot confirmed" in o.message and "StartTime moved" in o.message
                             for o in result.outcomes)
