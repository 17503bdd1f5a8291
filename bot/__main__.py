"""`python -m bot` runs the mockbot command line."""

import sys

from .cli import main

sys.exit(main())
