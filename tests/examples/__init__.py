"""The example app-team programs (examples/app-team, examples/app-mesh), run against fleets' real outputs."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

from components.simulation import Simulation, run_program, stack_config


def run_app_program(app: Path, fleet_stack: str, fleet_outputs: dict[str, Any], **config: Any) -> Simulation:
    """Run the program in `app` with its `Pulumi.prod.yaml` (updated by `config`, keys without the project's
    namespace), its stack reference to `fleet_stack` answered with `fleet_outputs`."""
    project = yaml_name(app)
    values = stack_config(app / "Pulumi.prod.yaml")
    values.update({f"{project}:{key}": value for key, value in config.items()})
    if str(app) not in sys.path:
        sys.path.insert(0, str(app))
    return run_program(
        lambda: runpy.run_path(str(app / "__main__.py"), run_name="__main__"),
        stack="prod",
        project=project,
        config=values,
        stack_outputs={fleet_stack: fleet_outputs},
    )


def yaml_name(app: Path) -> str:
    """The project's name, from its Pulumi.yaml (the config namespace of its keys)."""
    for line in (app / "Pulumi.yaml").read_text().splitlines():
        if line.startswith("name:"):
            return line.split(":", 1)[1].strip()
    raise ValueError(f"{app / 'Pulumi.yaml'} names no project")
