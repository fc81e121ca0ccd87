"""The package's version story: components.__version__, pyproject.toml, CHANGELOG.md, the contract and app-team packages."""

from __future__ import annotations

import re
import tomllib

import components
import meshfleet_appteam
import meshfleet_contract
from components.contract import CONTRACT_VERSION
from components.simulation import PROJECT_DIR

README = (PROJECT_DIR / "README.md").read_text()


def test_the_newest_changelog_entry_is_this_release_and_names_its_contract() -> None:
    changelog = (PROJECT_DIR / "CHANGELOG.md").read_text()
    newest = changelog.split("\n## ", 2)[1]
    assert newest.startswith(f"{components.__version__} "), newest.splitlines()[0]
    assert f"Publishes **contract {CONTRACT_VERSION}**." in newest


def test_pyproject_reads_the_version_from_the_package() -> None:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    assert "version" in project["project"]["dynamic"] and "version" not in project["project"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "components.__version__"}
    # How app teams pin the release: the contract and the app-team packages, from the release's tag.
    for package in ("contract", "appteam"):
        assert f"meshfleet@v{components.__version__}#subdirectory={package}`" in README


# A pin of a release in a requirements line or a doc: `meshfleet@v1.1.0`, `meshfleet@v1.1.0#subdirectory=appteam`.
RELEASE_PIN = re.compile(r"meshfleet@v(\d+\.\d+\.\d+)")


def test_one_version_names_the_release_everywhere() -> None:
    """The fleet, the contract and app-team packages, the fleet's pins of them, the CHANGELOG and every pin
    in the docs and the examples name one release; the docs name the contract version the release writes."""
    version = components.__version__
    assert meshfleet_contract.__version__ == version
    assert meshfleet_appteam.__version__ == version
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    assert f"meshfleet-contract=={version}" in project["project"]["dependencies"]
    assert f"meshfleet-appteam=={version}" in project["project"]["dependencies"]
    contract_project = tomllib.loads((PROJECT_DIR / "contract" / "pyproject.toml").read_text())
    assert contract_project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "meshfleet_contract.__version__"}
    assert contract_project["project"]["dependencies"] == ["pulumi>=3.272.0,<4"]  # the Pulumi SDK, nothing else
    appteam_project = tomllib.loads((PROJECT_DIR / "appteam" / "pyproject.toml").read_text())
    assert appteam_project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "meshfleet_appteam.__version__"}
    # The Pulumi SDK and pulumi-kubernetes, at the fleet's own ranges: no cloud SDK.
    fleet_ranges = [d for d in project["project"]["dependencies"] if d.startswith(("pulumi>=", "pulumi-kubernetes>="))]
    assert appteam_project["project"]["dependencies"] == fleet_ranges
    places = [PROJECT_DIR / "README.md", *PROJECT_DIR.glob("docs/*.md"), *PROJECT_DIR.glob("examples/*/requirements.txt")]
    places += [p for p in PROJECT_DIR.glob("examples/*/README.md")]
    pins = {(path.relative_to(PROJECT_DIR).as_posix(), pin) for path in places for pin in RELEASE_PIN.findall(path.read_text())}
    assert pins, "no pins found"
    assert sorted(p for p in pins if p[1] != version) == []
    contract_doc = (PROJECT_DIR / "docs" / "contract.md").read_text()
    assert f'CONTRACT_VERSION = "{CONTRACT_VERSION}"' in contract_doc
    assert f"Publishes **contract {CONTRACT_VERSION}**." in contract_doc
    assert set(re.findall(r"contract v?(\d+\.\d+)\b", README)) == {CONTRACT_VERSION}
    assert f"contract/schema/v{CONTRACT_VERSION}.json" in (PROJECT_DIR / "examples" / "app-team-ts" / "README.md").read_text()


def test_readme_links_stay_inside_the_repository() -> None:
    for target in re.findall(r"\]\(([^)]+)\)", README):
        assert not target.startswith(("http:", "https:")), target
        assert (PROJECT_DIR / target.split("#")[0]).resolve().is_relative_to(PROJECT_DIR), target
    assert "../shared" not in README


def test_section_names_cited_in_the_repository_exist() -> None:
    headings = {line.lstrip("#").strip() for line in README.splitlines() if line.startswith("#")}
    names = [a or b for a, b in re.findall(r'see "([^"]+)"|"([^"]+)" below', README)]
    for path in [*PROJECT_DIR.glob("*.yaml"), *PROJECT_DIR.glob("examples/**/*.yaml"), *PROJECT_DIR.glob("components/**/*.py")]:
        text = " ".join(line.lstrip("# ").strip() for line in path.read_text().splitlines())
        names += re.findall(r'README, "([^"]+)"', text)
    assert names, "no citations found"
    assert [n for n in names if n not in headings] == []


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_between_the_readme_and_docs_reach_existing_pages_and_headings() -> None:
    pages = [PROJECT_DIR / "README.md", *sorted((PROJECT_DIR / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if target.startswith(("http:", "https:")):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and linked.suffix == ".md":
                headings = {_anchor(line.lstrip("#")) for line in linked.read_text().splitlines() if line.startswith("#")}
                if anchor not in headings:
                    broken.append(f"{page.name}: {target}")
    assert broken == []


def test_docs_sections_cited_in_the_repository_exist() -> None:
    cited = []
    packages = [*PROJECT_DIR.glob("components/**/*.py"), *PROJECT_DIR.glob("*/meshfleet_*/**/*.py"), *PROJECT_DIR.glob("*/pyproject.toml")]
    for path in [*PROJECT_DIR.glob("*.yaml"), *PROJECT_DIR.glob("examples/**/*.yaml"), *packages]:
        text = " ".join(line.lstrip("# ").strip() for line in path.read_text().splitlines())
        cited += [(path.name, page, heading) for page, heading in re.findall(r'docs/([\w-]+\.md), "([^"]+)"', text)]
    assert cited, "no citations found"
    missing = []
    for source, page, heading in cited:
        doc = PROJECT_DIR / "docs" / page
        headings = {line.lstrip("#").strip() for line in doc.read_text().splitlines() if line.startswith("#")} if doc.exists() else set()
        if heading not in headings:
            missing.append(f"{source}: docs/{page}, {heading!r}")
    assert missing == []


def test_the_project_file_names_every_mesh_this_release_runs() -> None:
    """`Pulumi.yaml` is what `pulumi new` and the Pulumi console show about the project."""
    import yaml

    from components.meshes import AVAILABLE, PLANNED

    description = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["description"]
    assert all(mesh.capitalize() in description for mesh in AVAILABLE), description
    assert "planned" not in description or PLANNED, description
