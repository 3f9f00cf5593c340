import sys

from support_cli.cli import main

sys.exit(main())
