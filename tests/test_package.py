"""The package's version story: components.__version__, pyproject.toml, CHANGELOG.md and the contract."""

from __future__ import annotations

import re
import tomllib

import components
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
    assert f"meshfleet@v{components.__version__}`" in README  # how app teams pin the release


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
