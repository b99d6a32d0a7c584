import sys

from salesops.cli import main

sys.exit(main())
