"""The shop on every cluster of a meshfleet fleet: read the fleet's contract and where the canary's rollout
stands, deploy, export (the rollout's position too, which the next run continues from)."""

import pulumi
import pulumi_kubernetes as k8s

from meshfleet_appteam.rollout import RolloutIntent, RolloutPosition, read_rollout
from meshfleet_contract import read_fleet

from shop import CANARY, Shop, ShopArgs

STABLE = "v1"

config = pulumi.Config()
fleet = read_fleet(config.require("fleetStack"))
namespace = config.get("namespace") or "shop"
# The intent; where the rollout stands is the gate's (docs/app-teams.md, "Metrics-gated canaries").
intent = RolloutIntent(config.require("stableImage"), config.require("canaryImage"), config.get_int("canaryWeight") or 0)
# Blue-green instead of a canary: every version deployed, all traffic on this one; switching is this value.
live = config.get("liveVersion")
# While the canary takes no live traffic (weight 0), copy the stable's requests to it (Istio only).
mirror = config.get_bool("canaryMirror") or False


def deploy(position: RolloutPosition | None) -> dict[str, int]:
    if position is None:
        images = {STABLE: intent.stable_image, CANARY: intent.canary_image}
        weights = {version: 100 if version == live else 0 for version in images}
    else:
        # Promoted: the stable version runs the canary's image, the canary no pod.
        images = {STABLE: position.stable_image, CANARY: intent.canary_image}
        weights = position.weights(STABLE, CANARY)
    for cluster in fleet.clusters.values():
        # Our own cloud identity for clusters the fleet created; adopted clusters need a kubeconfig from their owners.
        kubeconfig = config.get_secret(f"kubeconfig-{cluster.name}") or cluster.kubeconfig(aws_role_arn=config.get("awsRoleArn"))
        provider = k8s.Provider(cluster.name, kubeconfig=kubeconfig, cluster_identifier=f"{fleet.mesh.mesh_id}/{cluster.name}")
        Shop(
            cluster.name,
            ShopArgs(
                fleet=fleet,
                cluster=cluster,
                namespace=namespace,
                images=images,
                weights=weights,
                live=live,
                canary_serves=position is None or position.canary_serves,
                mirror=mirror and position is not None and position.dark,
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )
    return weights


if live:
    pulumi.export("weights", deploy(None))
else:
    # Registered once this stack's last `canary` output is read: the position decides every object.
    position = read_rollout(intent)
    pulumi.export("weights", position.apply(deploy))
    pulumi.export("canary", position.apply(lambda p: p.export()))
pulumi.export("clusters", sorted(fleet.clusters))
