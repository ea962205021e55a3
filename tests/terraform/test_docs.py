"""The registry-style docs name every argument and attribute the schema has, and quote the provider's own words
for what a user does after a partial failure (so neither can drift from the code)."""

from __future__ import annotations

from pathlib import Path

from ecsreboot.terraform.provider import RETRY_CREATE, RETRY_UPDATE
from ecsreboot.terraform.schema import provider_block, resource_block

DOCS = Path(__file__).resolve().parents[2] / "docs" / "terraform"


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_resource_page_names_every_argument_block_and_attribute() -> None:
    page = (DOCS / "resources" / "reboot_trigger.md").read_text()
    block = resource_block()
    names = [a.name for a in block.attributes] + [name for name, _, _ in block.blocks]
    names += [a.name for _, _, nested in block.blocks for a in nested.attributes]
    assert [n for n in names if f"`{n}`" not in page] == []


def test_the_provider_page_names_every_argument() -> None:
    page = (DOCS / "index.md").read_text()
    assert [a.name for a in provider_block().attributes if f"`{a.name}`" not in page] == []


def test_the_partial_failure_section_quotes_the_providers_advice() -> None:
    page = flat((DOCS / "resources" / "reboot_trigger.md").read_text())
    assert flat(RETRY_CREATE) in page and flat(RETRY_UPDATE) in page
