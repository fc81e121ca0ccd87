"""Running the fleet program without a cloud: Pulumi's mock runtime, real TLS, and a record of every
resource the engine would be asked for. Used by the tests, the benchmark and the credential-free policy check."""

from .mocks import UNKNOWN, FleetMocks
from .recorder import Recorded, RecordingMonitor
from .runner import PROJECT_DIR, ProgramFailed, Simulation, run_program, simulate, stack_config

__all__ = [
    "PROJECT_DIR",
    "UNKNOWN",
    "FleetMocks",
    "ProgramFailed",
    "Recorded",
    "RecordingMonitor",
    "Simulation",
    "run_program",
    "simulate",
    "stack_config",
]
