"""Command-line interface (``tal-pyg``)."""
