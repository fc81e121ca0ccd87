"""`python -m components.canary --config canary.yaml`: one step of a metrics-gated canary.

Exit codes: 0 advanced, 4 promoted (weight 100), 1 rolled back (weight 0), 3 held (too little traffic),
2 bad input or nothing reachable (one line on stderr, nothing changed).
"""

import sys

from .command import main

sys.exit(main(sys.argv[1:]))
