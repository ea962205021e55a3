"""The OpenTofu schema is generated from the model that generates schema.json: same names, types, defaults,
descriptions and sensitivity, translated by rule, so a property added to the model appears here by itself."""

from __future__ import annotations

import re

import pytest

from ecsreboot.core import resource as r
from ecsreboot.core.resource import Prop
from ecsreboot.terraform.protocol import tf
from ecsreboot.terraform.schema import Attr, _block_of, for_terraform, provider_block, resource_block, snake


def attrs() -> dict[str, Attr]:
    return {a.name: a for a in resource_block().attributes}


def test_every_input_and_output_of_the_model_is_an_attribute_or_block() -> None:
    block = resource_block()
    names = {a.name for a in block.attributes} | {name for name, _, _ in block.blocks}
    assert {snake(p.name) for p in (*r.INPUTS, *r.OUTPUTS)} | {"id", "timeouts"} == names
    assert {a.wire for a in block.attributes if a.wire} | {w for _, w, _ in block.blocks if w} == \
        {p.name for p in (*r.INPUTS, *r.OUTPUTS)}


def test_types_flags_and_defaults_follow_the_model() -> None:
    a = attrs()
    # optional: instance_ids or an instance_selector block (Check names the one that is missing)
    assert a["instance_ids"].type == ["list", "string"] and a["instance_ids"].optional
    assert a["triggers"].type == ["map", "string"]
    assert a["triggers"].optional and a["triggers"].computed  # default {}: planned when left out
    assert a["force_reboot"].type == "bool" and a["force_reboot"].computed
    assert a["region_id"].optional and a["region_id"].computed  # filled from the provider's region
    assert a["max_unavailable"].type == "number" and a["max_unavailable"].optional
    assert not a["max_unavailable"].computed  # no default: null stays null
    for output in ("reboot_count", "last_reboot_time", "results", "request_ids", "failed_instance_ids",
                   "selected_instance_ids", "id"):
        assert a[output].computed and not a[output].optional and not a[output].required
    assert a["results"].type == ["list", ["object", {"instance_id": "string", "code": "string", "message": "string",
                                                    "previous_status": "string", "current_status": "string"}]]


def test_the_health_check_is_a_nested_block_with_its_own_defaults() -> None:
    health = resource_block().block("health_check")
    assert health is not None
    fields = {a.name: a for a in health.attributes}
    assert fields["url"].required
    assert fields["expected_status"].type == ["list", "number"]
    assert fields["timeout_seconds"].optional and fields["timeout_seconds"].computed
    assert not fields["unhealthy_threshold"].computed
    assert resource_block().block("timeouts") is not None


def test_provider_arguments_keep_their_sensitivity() -> None:
    provider = {a.name: a for a in provider_block().attributes}
    assert {n for n, a in provider.items() if a.sensitive} == {"access_key", "secret_key", "security_token"}
    assert set(provider) == {snake(p.name) for p in r.CONFIG}
    assert all(a.optional and not a.computed for a in provider.values())


def test_descriptions_are_the_models_in_terraform_words() -> None:
    for attr in resource_block().attributes:
        assert not re.search(r"\b(instanceIds|failedInstanceIds|waitForRunning|healthCheck|customTimeouts)\b",
                             attr.description), attr.name
    assert "wait_for_running = true" in for_terraform("Needs `waitForRunning: true`.")
    assert for_terraform("set regionId, the provider's `ecsreboot:region`") == "set region_id, the provider's `region`"
    health = next(p for p in r.INPUTS if p.name == "healthCheck")
    assert resource_block().blocks[0][2].description == for_terraform(health.description)


def test_an_object_property_of_the_model_becomes_a_block_by_itself() -> None:
    """instanceSelector needs nothing of the edge but its declaration in the model (resource.OBJECT_TYPES)."""
    selector = next(p for p in r.INPUTS if p.name == "instanceSelector")
    [(name, wire, nested)] = _block_of((selector,)).blocks
    assert (name, wire) == ("instance_selector", "instanceSelector")
    assert {a.name: a.type for a in nested.attributes} == {
        "tags": ["map", "string"], "vpc_id": "string", "v_switch_id": "string", "zone_id": "string",
        "resource_group_id": "string", "instance_name": "string", "max_instances": "number"}
    assert all(a.optional and not a.required for a in nested.attributes)


def test_a_property_type_without_a_translation_fails_loudly() -> None:
    with pytest.raises(ValueError, match="no translation"):
        _block_of((Prop("odd", "mystery", "?"),))  # type: ignore[arg-type]


def test_the_protocol_message_carries_the_schema() -> None:
    message = resource_block().to_proto(tf)
    by_name = {a.name: a for a in message.attributes}
    assert by_name["instance_ids"].type == b'["list","string"]' and by_name["instance_ids"].optional
    assert [b.type_name for b in message.block_types] == ["health_check", "instance_selector", "timeouts"]
    assert message.block_types[0].nesting == tf.Schema.NestedBlock.SINGLE
    assert message.description_kind == tf.StringKind.MARKDOWN
