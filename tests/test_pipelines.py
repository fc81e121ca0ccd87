"""The CI definitions: GitHub Actions workflows (.github/workflows) and the GitLab pipeline in docs/ci.md.

These tests check every workflow's shape: YAML syntax, job and step shape, pinned actions with inputs they
accept, expressions over known contexts, and that every path and command the pipelines use exists. The
end-to-end workflow also passes actionlint (tests/test_e2e_kind.py); the others use actions on Node 20,
which actionlint reports as deprecated, so it is not run on them yet.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.canary import Decision
from components.simulation import PROJECT_DIR
from components.simulation.policy_check import build_parser

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
ACTIONS = {
    "actions/checkout": ("v4", "v5"),
    "actions/setup-python": ("v5", "v6"),
    "actions/setup-go": ("v6",),
    "actions/upload-artifact": ("v4",),
    "pulumi/actions": ("v7",),
    "pulumi/auth-actions": ("v1",),
    "aws-actions/configure-aws-credentials": ("v4",),
    "google-github-actions/auth": ("v2",),
    "google-github-actions/setup-gcloud": ("v2",),
}
# pulumi/actions@v7 inputs (../shared/reference/pulumi.md §5): a typo there is silently ignored.
PULUMI_ACTION_INPUTS = {
    "command", "stack-name", "work-dir", "comment-on-pr", "edit-pr-comment", "comment-on-summary", "github-token", "policyPacks",
    "policyPackConfigs", "diff", "refresh", "expect-no-changes", "plan", "suppress-outputs", "always-include-summary",
    "pulumi-version-file", "upsert", "config-map",
}  # fmt: skip
CONTEXTS = {
    "github",
    "vars",
    "secrets",
    "matrix",
    "steps",
    "env",
    "needs",
    "runner",
    "inputs",
    "job",
    "strategy",
    "always",
    "success",
    "failure",
}
FUNCTIONS = {"fromJSON", "toJSON", "format", "contains", "startsWith", "endsWith", "join", "hashFiles"}
PERMISSION_SCOPES = {"contents", "id-token", "pull-requests", "actions", "checks", "deployments", "issues", "statuses"}
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}")


def load(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def expressions(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [e for v in value.values() for e in expressions(v)]
    if isinstance(value, list):
        return [e for v in value for e in expressions(v)]
    return [m.strip() for m in EXPRESSION.findall(str(value))] if isinstance(value, str) else []


@pytest.fixture(params=WORKFLOWS, ids=lambda p: p.name)
def workflow(request: pytest.FixtureRequest) -> dict[str, Any]:
    return load(request.param)


def test_there_are_preview_up_and_canary_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["canary.yml", "e2e-kind.yml", "preview.yml", "up.yml"]


def test_workflow_shape(workflow: dict[str, Any]) -> None:
    assert {"name", "on", "jobs"} <= set(workflow)
    jobs = workflow["jobs"]
    for name, job in jobs.items():
        assert job["runs-on"] == "ubuntu-latest", name
        assert job["steps"], name
        for need in job.get("needs", []):
            assert need in jobs, f"{name} needs unknown job {need}"
        for scope, access in {**workflow.get("permissions", {}), **job.get("permissions", {})}.items():
            assert scope in PERMISSION_SCOPES and access in {"read", "write", "none"}, (name, scope, access)
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{name}: a step has exactly one of uses/run: {step}"
            if "uses" in step:
                action, _, version = step["uses"].partition("@")
                assert version in ACTIONS.get(action, ()), f"{name}: {step['uses']} is not a pinned, known action"
            if step.get("uses", "").startswith("pulumi/actions@"):
                assert set(step["with"]) <= PULUMI_ACTION_INPUTS, set(step["with"]) - PULUMI_ACTION_INPUTS


def test_expressions_are_closed_and_use_known_contexts(workflow: dict[str, Any]) -> None:
    text = yaml.safe_dump(workflow)
    assert text.count("${{") == text.count("}}")
    for expression in expressions(workflow):
        head = re.split(r"[.\s(=!&|]", expression.strip(), maxsplit=1)[0]
        assert head in CONTEXTS or head.split("(")[0] in FUNCTIONS, expression
    for job in workflow["jobs"].values():
        if "if" in job:
            assert "${{" not in job["if"] and job["if"].split(".")[0] in CONTEXTS


def test_paths_and_commands_used_by_the_workflows_exist(workflow: dict[str, Any]) -> None:
    checked = []
    for job in workflow["jobs"].values():
        stacks = job.get("strategy", {}).get("matrix", {}).get("stack", ["prod"])
        for step in job["steps"]:
            options = step.get("with", {})
            if "policyPacks" in options:
                assert (PROJECT_DIR / options["policyPacks"] / "PulumiPolicy.yaml").exists()
                for stack in stacks:
                    assert (PROJECT_DIR / options["policyPackConfigs"].replace("${{ matrix.stack }}", stack)).exists()
                checked.append(options["policyPacks"])
            for path in re.findall(
                r"((?:\.ci|requirements|examples|policies|e2e)[\w./-]*)", step.get("run", "") + str(job.get("strategy", ""))
            ):
                assert (PROJECT_DIR / path).exists(), path
                checked.append(path)
    assert {".ci/run", "requirements-dev.txt", "requirements.txt", "policies"} & set(checked), checked


def test_preview_comments_on_pull_requests_of_this_repository_only() -> None:
    preview = load(PROJECT_DIR / ".github" / "workflows" / "preview.yml")
    assert preview["on"] == {"pull_request": {"branches": ["main"]}}
    job = preview["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    [pulumi] = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policies"


def test_the_credential_free_check_runs_for_forks_without_secrets() -> None:
    job = load(PROJECT_DIR / ".github" / "workflows" / "preview.yml")["jobs"]["policy-check"]
    assert "if" not in job and "permissions" not in job  # the workflow's read-only default
    assert not [e for e in expressions(job) if e.startswith(("secrets", "vars"))]
    parser = build_parser()
    for entry in job["strategy"]["matrix"]["include"]:
        parser.parse_args(shlex.split(entry["args"]))  # every matrix entry is a valid invocation


def test_up_runs_on_main_behind_an_approved_environment() -> None:
    up = load(PROJECT_DIR / ".github" / "workflows" / "up.yml")
    assert up["on"]["push"] == {"branches": ["main"]}
    job = up["jobs"]["up"]
    assert job["environment"] == "production" and job["needs"] == ["test"]
    assert job["permissions"]["id-token"] == "write"
    [pulumi] = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert (pulumi["with"]["command"], pulumi["with"]["policyPackConfigs"]) == ("up", "policies/config/prod.json")


def test_canary_gates_each_step_with_the_deploy_oidc_credentials() -> None:
    canary = load(PROJECT_DIR / ".github" / "workflows" / "canary.yml")
    assert set(canary["on"]) == {"workflow_dispatch"}
    job = canary["jobs"]["canary"]
    assert job["environment"] == "production" and job["permissions"] == {"contents": "read", "id-token": "write"}
    up = load(PROJECT_DIR / ".github" / "workflows" / "up.yml")["jobs"]["up"]
    # The same OIDC exchanges as `pulumi up` on main: AWS, GCP and Pulumi Cloud, with the same variables.
    auth = [
        s
        for s in up["steps"]
        if s.get("uses", "").split("@")[0] in ("aws-actions/configure-aws-credentials", "google-github-actions/auth", "pulumi/auth-actions")
    ]
    assert [s for s in job["steps"] if s in auth] == auth
    script = job["steps"][-1]["run"]
    # Every exit code of the gate (components/canary/gate.py) has its branch, and an unknown one fails.
    assert [int(code) for code in re.findall(r"^\s+(\d)\) ", script, re.MULTILINE)] == [
        Decision.ADVANCE.exit_code,
        Decision.PROMOTE.exit_code,
        Decision.ROLLBACK.exit_code,
        Decision.HOLD.exit_code,
    ]
    assert '*) exit "$code"' in script
    assert 'venv/bin/python -m components.canary --config "$CANARY_FILE"' in script
    inputs = canary["on"]["workflow_dispatch"]["inputs"]
    assert (PROJECT_DIR / inputs["canary-file"]["default"]).exists() and (
        PROJECT_DIR / inputs["work-dir"]["default"] / "Pulumi.yaml"
    ).exists()


def test_gitlab_pipeline_in_the_docs_is_valid() -> None:
    text = (PROJECT_DIR / "docs" / "ci.md").read_text()
    [block] = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("# .gitlab-ci.yml")]
    pipeline = yaml.safe_load(block)
    assert pipeline["stages"] == ["test", "preview", "deploy"]
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and ("script" in job or "extends" in job)}
    assert set(jobs) == {"test", "policy-check", "preview", "up"}
    for name, job in jobs.items():
        stage = job.get("stage")
        assert stage in pipeline["stages"], name
        assert job["script"], name
    assert pipeline[".pulumi"]["id_tokens"]["GITLAB_OIDC_TOKEN"]["aud"] == "urn:pulumi:org:${PULUMI_ORG}"
    assert jobs["up"]["environment"] == "production" and jobs["up"]["rules"][0]["when"] == "manual"
    assert "--policy-pack policies" in jobs["preview"]["script"][0]


def readme_commands() -> list[str]:
    """The README's set-up, test, and lint-and-type commands, as a user copies them."""
    readme = (PROJECT_DIR / "README.md").read_text()
    fresh = readme.split("## On a fresh machine", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("  #", 1)[0].strip() for line in fresh.splitlines() if line.strip()]
    setup_and_tests = [c for c in commands if "pip install" in c or c.endswith("-m pytest")]
    [lint] = re.findall(r"Lint and types: `([^`]+)`", readme)
    return [*setup_and_tests, lint]


def test_the_readme_installs_prometheus_with_the_line_ci_runs() -> None:
    """As root (most containers and CI images, where `sudo` does not exist) or through sudo."""
    readme = (PROJECT_DIR / "README.md").read_text()
    fresh = readme.split("## On a fresh machine", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    [line] = [line.split("   #", 1)[0].strip() for line in fresh.splitlines() if "prometheus" in line]
    assert line in (PROJECT_DIR / ".ci" / "run").read_text().splitlines()
    assert "sudo apt-get" not in readme


def test_ci_runs_the_readmes_set_up_tests_lint_and_type_checks() -> None:
    script = (PROJECT_DIR / ".ci" / "run").read_text().splitlines()
    assert "set -euo pipefail" in script  # a failing check fails the run
    commands = [line.strip() for line in script if line.strip() and not line.lstrip().startswith(("#", "if ", "fi", "cd ", "set "))]
    assert commands == readme_commands()


def test_up_publishes_the_state_a_credential_free_preview_compares_with() -> None:
    """docs/ci.md, "Previews against the real state": after `pulumi up`, the stack's export (secrets encrypted)."""
    steps = load(PROJECT_DIR / ".github" / "workflows" / "up.yml")["jobs"]["up"]["steps"]
    up = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("pulumi/actions@") and s["with"]["command"] == "up")
    export, upload = steps[up + 1], steps[up + 2]
    assert export["run"] == "pulumi stack export --stack ${{ vars.PULUMI_ORG }}/meshfleet/prod --file prod-state.json"
    assert "--show-secrets" not in export["run"]
    assert upload == {"uses": "actions/upload-artifact@v4", "with": {"name": "prod-state", "path": "prod-state.json"}}
