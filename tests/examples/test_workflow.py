"""examples/gitops/workflow.yml, read as GitHub Actions reads it."""

from __future__ import annotations

from typing import Any

import yaml

from .conftest import EXAMPLES

WORKFLOW = yaml.safe_load((EXAMPLES / "gitops" / "workflow.yml").read_text())


def pulumi_step(job: dict[str, Any]) -> dict[str, Any]:
    [step] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("pulumi/actions@")]
    return step


def test_preview_on_pull_request_with_the_result_in_the_pr() -> None:
    triggers = WORKFLOW.get("on", WORKFLOW.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"pull_request", "push"} and triggers["push"]["branches"] == ["main"]
    job = WORKFLOW["jobs"]["preview"]
    assert "pull_request" in job["if"]
    step = pulumi_step(job)
    assert step["uses"] == "pulumi/actions@v6"
    assert step["with"]["command"] == "preview" and step["with"]["comment-on-pr"] is True
    assert job["permissions"]["pull-requests"] == "write"
    assert step["with"]["policyPacks"].endswith("/policy")


def test_up_only_on_push_to_main() -> None:
    job = WORKFLOW["jobs"]["up"]
    assert "push" in job["if"] and "refs/heads/main" in job["if"]
    step = pulumi_step(job)
    assert step["with"]["command"] == "up" and "comment-on-pr" not in step["with"]
    assert step["with"]["stack-name"] == pulumi_step(WORKFLOW["jobs"]["preview"])["with"]["stack-name"]


def test_credentials_come_from_secrets_and_oidc_is_offered() -> None:
    env = WORKFLOW["env"]
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "PULUMI_ACCESS_TOKEN"):
        assert env[name] == f"${{{{ secrets.{name} }}}}"
    text = (EXAMPLES / "gitops" / "workflow.yml").read_text()
    assert "ALIBABA_CLOUD_OIDC_TOKEN_FILE" in text and "ALIBABA_CLOUD_ROLE_ARN" in text and "RRSA" in text


def test_the_plugin_is_on_path_for_the_engine() -> None:
    for job in WORKFLOW["jobs"].values():
        installs = " ".join(s.get("run", "") for s in job["steps"])
        assert "requirements.txt" in installs and "GITHUB_PATH" in installs
