"""`python -m components.canary --config canary.yaml`: a metrics-gated canary step (or every step).

Exit codes: see `--help` (components/canary/gate.py EXIT_CODES).
"""

import sys

from .command import main

sys.exit(main(sys.argv[1:]))
