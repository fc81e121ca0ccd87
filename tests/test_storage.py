"""Volumes for the mesh's claims (components/clusters/storage.py): Consul's servers claim one each, and each
cluster must provision it. The program's output goes through the chart's volumeClaimTemplates
(tests/meshes/consul/chart_model.py) and Kubernetes' volume binding (tests/volume_model.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.simulation import PROJECT_DIR, Recorded, Simulation, simulate
from tests.meshes.consul import chart_model
from tests.meshes.helpers import depends_on, release
from tests.support import FakeEnvironment, problems_of, raw_config
from tests.volume_model import ClusterStorage, StorageClass, bind

ADDON = "aws:eks/addon:Addon"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
CLUSTERS = ("eks-use1", "gke-usc1", "gke-euw1")
DEV = PROJECT_DIR / "Pulumi.dev.yaml"


def registered(sim: Simulation, type_: str, cluster: str) -> list[Recorded]:
    return [r for r in sim.of_type(type_) if r.name.startswith(f"{cluster}-") and not r.read]


def ebs_driver_runs(sim: Simulation, cluster: str) -> bool:
    """The EBS CSI controller runs and may call EC2: the add-on, Pod Identity's agent, and the controller's
    service account associated with a role that Pod Identity may assume and that holds the EBS policy."""
    addons = {r.inputs["addonName"]: r for r in registered(sim, ADDON, cluster)}
    driver = addons.get("aws-ebs-csi-driver")
    if driver is None or "eks-pod-identity-agent" not in addons or not depends_on(sim, driver, addons["eks-pod-identity-agent"]):
        return False
    [association] = driver.inputs["podIdentityAssociations"]
    [role] = [r for r in sim.of_type("aws:iam/role:Role") if r.outputs["arn"] == association["roleArn"]]
    [statement] = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    policies = {
        a.inputs["policyArn"]
        for a in sim.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == role.outputs["name"]
    }
    return (
        association["serviceAccount"] == "ebs-csi-controller-sa"
        and statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        and set(statement["Action"]) == {"sts:AssumeRole", "sts:TagSession"}
        and "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" in policies
    )


def storage_of(sim: Simulation, cluster: str) -> ClusterStorage:
    """What the cluster has once `pulumi up` made it: the StorageClasses the program registered in it, what the
    cloud ships (EKS 1.30+: no class, no provisioner; GKE with its PD CSI add-on: `standard-rwo`, the default,
    per GKE's documentation) and the provisioners that run."""
    classes = [
        StorageClass(r.inputs["metadata"]["name"], r.inputs["provisioner"])
        for r in registered(sim, STORAGE_CLASS, cluster)
        if r.provider == sim.named(f"{cluster}-k8s").urn
    ]
    provisioners: set[str] = set()
    if cluster.startswith("eks") and ebs_driver_runs(sim, cluster):
        provisioners.add("ebs.csi.aws.com")
    if cluster.startswith("gke"):
        addons = sim.named(f"{cluster}-gke").inputs.get("addonsConfig") or {}
        # GKE enables the driver on new clusters by default; the program asks for it explicitly.
        if (addons.get("gcePersistentDiskCsiDriverConfig") or {"enabled": True})["enabled"]:
            provisioners.add("pd.csi.storage.gke.io")
            classes.append(StorageClass("standard-rwo", "pd.csi.storage.gke.io", default=True))
    return ClusterStorage(tuple(classes), frozenset(provisioners))


def server_claim(sim: Simulation, cluster: str) -> dict[str, Any]:
    return chart_model.server_volume_claim(release(sim, cluster, "consul").inputs["values"], "consul")


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_every_created_clusters_consul_servers_get_their_volumes(consul: Simulation, cluster: str) -> None:
    claim = server_claim(consul, cluster)
    outcome = bind(claim["spec"], storage_of(consul, cluster))
    assert outcome.bound, f"{cluster}: {outcome.reason}"


def test_without_the_driver_or_a_named_class_an_eks_servers_claim_stays_pending(consul: Simulation) -> None:
    """What the program did before: no storageClass in the values, no driver, no class on a new EKS cluster."""
    values = release(consul, "eks-use1", "consul").inputs["values"]
    unnamed = {**values, "server": {k: v for k, v in values["server"].items() if k != "storageClass"}}
    claim = chart_model.server_volume_claim(unnamed, "consul")
    assert "storageClassName" not in claim["spec"]
    assert bind(claim["spec"], ClusterStorage()).reason == "no persistent volumes available for this claim and no storage class is set"
    # EKS before 1.30 shipped a default gp2 class of the in-tree plugin, now the CSI driver's: no driver, no volume.
    gp2 = ClusterStorage((StorageClass("gp2", "kubernetes.io/aws-ebs", default=True),))
    assert bind(claim["spec"], gp2).reason == 'waiting for a volume to be created, either by external provisioner "ebs.csi.aws.com"'
    # The class alone is not enough: its provisioner must run.
    class_only = ClusterStorage((StorageClass("ebs-gp3", "ebs.csi.aws.com"),))
    assert not bind(server_claim(consul, "eks-use1")["spec"], class_only).bound


def test_the_eks_storage_class_and_what_the_release_waits_for(consul: Simulation) -> None:
    [storage_class] = registered(consul, STORAGE_CLASS, "eks-use1")
    assert storage_class.inputs == {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "ebs-gp3"},
        "provisioner": "ebs.csi.aws.com",
        # gp3, encrypted (the servers' Raft data holds ACL tokens); made in the zone the scheduler picked.
        "parameters": {"type": "gp3", "encrypted": "true"},
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
    driver = consul.named("eks-use1-aws-ebs-csi-driver", ADDON)
    assert depends_on(consul, storage_class, driver)
    assert depends_on(consul, driver, consul.named("eks-use1-nodes")), "EKS reports the add-on active once its pods run"
    chart = release(consul, "eks-use1", "consul")
    assert depends_on(consul, chart, storage_class) and depends_on(consul, chart, driver)


def test_gke_clusters_get_the_persistent_disk_driver_and_no_class_of_ours(consul: Simulation) -> None:
    for cluster in ("gke-usc1", "gke-euw1"):
        assert consul.named(f"{cluster}-gke").inputs["addonsConfig"] == {"gcePersistentDiskCsiDriverConfig": {"enabled": True}}
        assert registered(consul, STORAGE_CLASS, cluster) == []
        assert registered(consul, ADDON, cluster) == []


def test_a_mesh_without_volumes_asks_the_clouds_for_nothing(prod: Simulation) -> None:
    """Istio claims no volume: no add-on, no class, no GKE add-on setting."""
    assert prod.of_type(ADDON) == prod.of_type(STORAGE_CLASS) == []
    assert all("addonsConfig" not in r.inputs for r in prod.of_type("gcp:container/cluster:Cluster"))


# --- adopted clusters: what they must provide, and what the program checks -------------------------------


def adopted_consul(storage_class: str | None) -> Simulation:
    """The dev stack's two kind clusters, running Consul; kind-west names a StorageClass when given one."""
    mesh = {"type": "consul", "version": "2.0.3", "meshId": "mesh-dev", "topology": "multi-primary", "controlPlane": {"replicas": 1}}
    clusters = raw_config(DEV)["clusters"]
    if storage_class is not None:
        clusters[0]["existing"]["storageClass"] = storage_class
    return simulate("dev", config={"meshfleet:mesh": mesh, "meshfleet:clusters": clusters})


def test_an_adopted_clusters_named_class_is_read_before_the_servers_claim_it() -> None:
    sim = adopted_consul("local-path")
    read = sim.named("kind-west-storage-class", STORAGE_CLASS)
    assert read.read and read.provider == sim.named("kind-west-k8s").urn
    chart = release(sim, "kind-west", "consul")
    assert chart.inputs["values"]["server"]["storageClass"] == "local-path"
    assert depends_on(sim, chart, read), "a missing class must fail the read, before a release whose servers never start"
    # kind-east names none: the chart's claim takes the cluster's default class, which cannot be read by name.
    assert "storageClass" not in release(sim, "kind-east", "consul").inputs["values"]["server"]
    assert [r.name for r in sim.of_type(STORAGE_CLASS)] == ["kind-west-storage-class"]


def test_fails_a_storage_class_that_is_no_kubernetes_name() -> None:
    raw = raw_config(DEV)
    raw["clusters"][0]["existing"]["storageClass"] = "Fast SSD"
    assert problems_of(raw, FakeEnvironment()) == [
        "meshfleet:clusters[0] (kind-west).existing.storageClass: 'Fast SSD' is not a StorageClass name (lowercase letters, digits, '-' and '.', "
        "at most 253)"
    ]
