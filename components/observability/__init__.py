"""Mesh telemetry shared by every mesh: the golden signals in each mesh's metric names (signals.py), the
Prometheus Operator's scrape object (scrape.py), the Grafana dashboards (dashboards.py) and the component
that puts them into a cluster (telemetry.py). docs/app-teams.md, "Mesh telemetry"."""
