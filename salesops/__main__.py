import sys

from salesops.cli.main import main

sys.exit(main())
