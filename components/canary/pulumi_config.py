"""The app stack's canary weight, read and written through `pulumi config`, so the next `pulumi up` applies it."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence


class PulumiConfigError(Exception):
    pass


class StackConfig:
    def __init__(self, stack: str, binary: str = "pulumi", cwd: str | None = None) -> None:
        self.stack = stack
        self.binary = binary
        self.cwd = cwd

    def command(self, *args: str) -> list[str]:
        return [self.binary, "config", *args, "--stack", self.stack]

    def get(self, key: str) -> str:
        return self._run(self.command("get", key)).strip()

    def set(self, key: str, value: str) -> None:
        self._run(self.command("set", key, value))

    def _run(self, command: Sequence[str]) -> str:
        try:
            done = subprocess.run(command, cwd=self.cwd, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PulumiConfigError(f"cannot run {' '.join(command)}: {error}") from None
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or [""]
            raise PulumiConfigError(f"{' '.join(command)} failed (exit {done.returncode}): {last[0]}")
        return done.stdout
