// The shop's namespace in every cluster of a meshfleet fleet, in TypeScript: the fleet's outputs are read
// through a StackReference and typed by `contract.d.ts`, which `npm run types` generates from the
// contract's JSON Schema (contract/schema/v<version>.json). docs/app-teams.md, "TypeScript".
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster, FleetContract } from "./contract";

// The contract major this program was written for; a fleet publishing another major is refused.
const MAJOR = "1";

const config = new pulumi.Config();
const fleet = new pulumi.StackReference(config.require("fleetStack"));
const namespace = config.get("namespace") ?? "shop";

// The outputs are plain values once the reference resolves; their shape is the schema's.
async function readFleet(): Promise<FleetContract> {
    const keys = ["contractVersion", "mesh", "clusters", "rootCaBundle", "teams"] as const;
    const values = await Promise.all(keys.map((key) => fleet.getOutputDetails(key)));
    const outputs = Object.fromEntries(keys.map((key, i) => [key, values[i].value])) as FleetContract;
    if (outputs.contractVersion?.split(".")[0] !== MAJOR) {
        throw new Error(`fleet stack publishes contract ${outputs.contractVersion}, but this program reads ${MAJOR}.x`);
    }
    // Keys a later minor added read as their documented defaults: `teams` (1.2) is {} for older fleets.
    return { ...outputs, teams: outputs.teams ?? {} };
}

// The platform may have made the namespace already (meshfleet:teams); two stacks must not both own it.
function madeByFleet(contract: FleetContract, cluster: Cluster): boolean {
    return Object.values(contract.teams).some((team) => (team.namespaces[cluster.name] ?? []).includes(namespace));
}

// Each cluster is reached with the team's own identity: `aws eks get-token` or gke-gcloud-auth-plugin;
// an adopted cluster's kubeconfig comes from its owners (config `kubeconfig-<cluster>`, a secret).
function kubeconfig(cluster: Cluster): pulumi.Input<string> {
    const adopted = config.getSecret(`kubeconfig-${cluster.name}`);
    if (adopted !== undefined) {
        return adopted;
    }
    const exec =
        cluster.cloud === "aws"
            ? { command: "aws", args: ["eks", "get-token", "--cluster-name", cluster.name, "--region", cluster.region, "--output", "json"] }
            : { command: "gke-gcloud-auth-plugin", provideClusterInfo: true };
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: cluster.name, cluster: { server: cluster.apiEndpoint, "certificate-authority-data": Buffer.from(cluster.caCertificate).toString("base64") } }],
        users: [{ name: cluster.name, user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", ...exec } } }],
        contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: cluster.name } }],
        "current-context": cluster.name,
    });
}

export = async () => {
    const contract = await readFleet();
    for (const cluster of Object.values(contract.clusters)) {
        if (madeByFleet(contract, cluster)) {
            continue;
        }
        const provider = new k8s.Provider(cluster.name, { kubeconfig: kubeconfig(cluster) });
        // The labels (Istio, Consul) or annotations (Linkerd) that put the namespace in the fleet's mesh.
        new k8s.core.v1.Namespace(
            `${cluster.name}-namespace`,
            { metadata: { name: namespace, labels: contract.mesh.injectionLabel, annotations: contract.mesh.injectionAnnotations } },
            { provider },
        );
    }
    return { mesh: contract.mesh.type, clusters: Object.keys(contract.clusters).sort() };
};
