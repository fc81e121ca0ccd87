"""meshfleet: reusable Pulumi components that run one service mesh across many Kubernetes clusters."""
