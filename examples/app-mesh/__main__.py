"""The orders service, moved from App Mesh onto a meshfleet fleet: every cluster of the fleet runs it."""

import pulumi
import pulumi_kubernetes as k8s

from meshfleet_contract import read_fleet

from orders import Orders, OrdersArgs

config = pulumi.Config()
fleet = read_fleet(config.require("fleetStack"))
canary = config.get_int("canaryWeight") or 0
images = {"v1": config.require("stableImage"), "v2": config.require("canaryImage")}

for cluster in fleet.clusters.values():
    kubeconfig = cluster.kubeconfig(aws_role_arn=config.get("awsRoleArn"))
    provider = k8s.Provider(cluster.name, kubeconfig=kubeconfig, cluster_identifier=f"{fleet.mesh.mesh_id}/{cluster.name}")
    Orders(
        cluster.name,
        OrdersArgs(fleet, cluster, config.get("namespace") or "shop", images, {"v1": 100 - canary, "v2": canary}),
        pulumi.ResourceOptions(providers=[provider]),
    )
