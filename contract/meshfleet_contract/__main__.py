"""`python -m meshfleet_contract DIR`: write the JSON Schema of every contract version into DIR."""

import sys
from pathlib import Path

from .definition import VERSIONS
from .schema import render


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m meshfleet_contract DIR", file=sys.stderr)
        return 2
    directory = Path(argv[0])
    directory.mkdir(parents=True, exist_ok=True)
    for version in VERSIONS:
        (directory / f"v{version}.json").write_text(render(version))
    return 0


raise SystemExit(main(sys.argv[1:]))
