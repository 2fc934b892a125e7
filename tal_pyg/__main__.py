"""``python -m tal_pyg ...`` is the ``tal-pyg`` command."""
import sys

from tal_pyg.cli.main import main

sys.exit(main())
