"""`python -m app` is `backprop-lab`; with no arguments it serves the app."""

import sys

from app.cli.main import main

sys.exit(main(sys.argv[1:]))
