"""``python -m sim`` runs the orgsim command line."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
