"""``python -m scanner`` and the ``aanwezig-scan`` command."""

import sys

from scanner.cli import main

if __name__ == "__main__":
    sys.exit(main())
