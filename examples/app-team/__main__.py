"""The shop on every cluster of a meshfleet fleet: read the fleet's contract, deploy, export."""

import pulumi
import pulumi_kubernetes as k8s

from meshfleet_contract import read_fleet

from shop import Shop, ShopArgs

config = pulumi.Config()
fleet = read_fleet(config.require("fleetStack"))
canary = config.get_int("canaryWeight") or 0
images = {"v1": config.require("stableImage"), "v2": config.require("canaryImage")}
# Blue-green instead of a canary: every version deployed, all traffic on this one; switching is this value.
live = config.get("liveVersion")
weights = {version: 100 if version == live else 0 for version in images} if live else {"v1": 100 - canary, "v2": canary}

for cluster in fleet.clusters.values():
    # Our own cloud identity for clusters the fleet created; adopted clusters need a kubeconfig from their owners.
    kubeconfig = config.get_secret(f"kubeconfig-{cluster.name}") or cluster.kubeconfig(aws_role_arn=config.get("awsRoleArn"))
    provider = k8s.Provider(cluster.name, kubeconfig=kubeconfig, cluster_identifier=f"{fleet.mesh.mesh_id}/{cluster.name}")
    Shop(
        cluster.name,
        ShopArgs(fleet=fleet, cluster=cluster, namespace=config.get("namespace") or "shop", images=images, weights=weights, live=live),
        pulumi.ResourceOptions(providers=[provider]),
    )

pulumi.export("weights", weights)
pulumi.export("clusters", sorted(fleet.clusters))
