"""The `mesh.istio` block: revisions with their tags, the reader-token generation, the one-off
migration of remote secrets from one per pair to one per primary, and how many Secrets hold them."""

from __future__ import annotations

from dataclasses import dataclass

from ...config import FleetSpec, Section
from ...config.reader import DNS_LABEL, EXACT_VERSION, quote
from ...k8s import ChartRef

REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
VERSION_LINE = "1.30"
DEFAULT_VERSION = "1.30.5"  # newest 1.30 patch (istio.io release notes, 2026-09-21)
DEFAULT_REVISION = "stable"
# Kubernetes minors Istio 1.30 supports: 1.32 is its minimum (istioctl/pkg/install/k8sversion/version.go
# MinK8SVersion), and each Istio release supports four (istio.io "Supported releases").
KUBERNETES_MINORS = (32, 35)
# Services are named `istiod-<revision>` and must stay DNS labels.
MAX_REVISION_LENGTH = 63 - len("istiod-")
# A tag's Service is `istiod-revision-tag-<tag>` (values.revision_tag_service_name).
MAX_TAG_LENGTH = 63 - len("istiod-revision-tag-")


@dataclass(frozen=True)
class Revision:
    name: str
    version: str
    tags: tuple[str, ...]

    def chart(self, chart: str) -> ChartRef:
        return ChartRef(REPOSITORY, chart, self.version)


@dataclass(frozen=True)
class IstioSettings:
    version: str
    """mesh.version: the version of revisions that name none."""
    revisions: tuple[Revision, ...]
    reader_token_generation: int
    migrate_remote_secrets: bool = False
    """Retire the per-pair remote secrets of older releases before writing the per-primary ones
    (discovery.retired_remote_secret). Default: off; a stack made by this release has none."""
    remote_secret_shards: int = 1
    """The fewest Secrets each primary's remote secrets are spread over (discovery.shard_count). Default:
    one per 100 peers (discovery.CLUSTERS_PER_SECRET)."""

    def chart(self, chart: str) -> ChartRef:
        """base and gateway: the newest revision's chart, so that during a canary across versions the CRDs
        are the newer ones (which the older istiod also reads) and the gateways run the newer template."""
        return ChartRef(REPOSITORY, chart, self.newest_version)

    @property
    def newest_version(self) -> str:
        return max((r.version for r in self.revisions), key=_version_key, default=self.version)

    @property
    def default_revision(self) -> Revision:
        """The revision holding the `default` tag (else the first): base's validator and the gateways follow it."""
        return next((r for r in self.revisions if "default" in r.tags), self.revisions[0])

    @property
    def tagged_default(self) -> str | None:
        """The revision that holds the `default` tag, if one does (the contract's `defaultRevision`)."""
        return next((r.name for r in self.revisions if "default" in r.tags), None)

    @property
    def injection_label(self) -> dict[str, str]:
        """The namespace label app teams apply to join the mesh."""
        if any("default" in r.tags for r in self.revisions):
            return {"istio-injection": "enabled"}
        return {"istio.io/rev": self.default_revision.name}


def parse_settings(fleet: FleetSpec, s: Section) -> IstioSettings:
    s.reject_unknown(["revisions", "readerTokenGeneration", "migrateRemoteSecrets", "remoteSecretShards"])
    version = fleet.mesh.version or DEFAULT_VERSION
    _check_version(s, "meshfleet:mesh.version", fleet.mesh.version)
    revisions: list[Revision] = []
    tag_owner: dict[str, str] = {}
    entries = s.items("revisions")
    if s.has("revisions") and not entries and isinstance(s.raw.get("revisions"), list):
        s.problem("revisions", "is empty; name at least one control plane revision, e.g. [{name: stable, tags: [default]}]")
    if not s.has("revisions"):
        entries = [(f"{s.key}.revisions[0]", {"name": DEFAULT_REVISION, "tags": ["default"]})]
    for key, item in entries:
        r = Section(item, key, s.problems)
        r.reject_unknown(["name", "version", "tags"])
        name = r.string("name", required="a DNS label such as '1-30-5' or 'stable'")
        if name == "default":
            r.problem("name", "'default' names the default revision tag, not a revision; name the revision e.g. '1-30-5'")
            name = None
        elif name is not None and (not DNS_LABEL.match(name) or len(name) > MAX_REVISION_LENGTH):
            r.problem(
                "name",
                f"{quote(name)} is not a valid revision name: use a DNS label of at most {MAX_REVISION_LENGTH} characters "
                "(lowercase letters, digits and '-'), e.g. '1-30-5'",
            )
            name = None
        revision_version = r.string("version", version) or version
        if r.has("version"):
            _check_version(r, f"{key}.version", revision_version)
        tags = r.strings("tags") or ()
        for tag in tags:
            if not DNS_LABEL.match(tag):
                r.problem("tags", f"{quote(tag)} is not a valid revision tag: use a DNS label such as 'default' or 'prod-stable'")
            elif len(tag) > MAX_TAG_LENGTH:
                r.problem(
                    "tags",
                    f"{quote(tag)} is {len(tag)} characters; a revision tag has at most {MAX_TAG_LENGTH}, because Istio names "
                    f"its Service 'istiod-revision-tag-<tag>', which must fit in 63",
                )
            elif tag in tag_owner:
                r.problem("tags", f"tag {quote(tag)} is already held by revision {quote(tag_owner[tag])}; a tag points at one revision")
            elif name is not None:
                tag_owner[tag] = name
        if name is None:
            continue
        if any(existing.name == name for existing in revisions):
            r.problem("name", f"{quote(name)} is listed twice; revision names must be unique")
            continue
        revisions.append(Revision(name, revision_version, tags))
    generation = s.integer("readerTokenGeneration", 1, minimum=1, maximum=1_000_000) or 1
    return IstioSettings(
        version=version,
        revisions=tuple(revisions),
        reader_token_generation=generation,
        migrate_remote_secrets=s.boolean("migrateRemoteSecrets", False),
        remote_secret_shards=s.integer("remoteSecretShards", 1, minimum=1, maximum=1_000) or 1,
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _check_version(s: Section, key: str, version: str) -> None:
    if version and EXACT_VERSION.match(version) and not version.startswith(f"{VERSION_LINE}."):
        s.problems.add(
            key,
            f"{quote(version)} is outside Istio {VERSION_LINE}, the line this meshfleet release pins; "
            f"use a {VERSION_LINE}.x patch such as {DEFAULT_VERSION!r}",
        )


__all__ = ["DEFAULT_VERSION", "IstioSettings", "Revision", "parse_settings"]
