#!/usr/bin/env python
"""Reproduce the paper's studies on the synthetic benchmark (the code is the package ``experiments/studies``).

    python experiments/reproduce.py --study table1 --seeds 3
    python experiments/reproduce.py --study table3 --list
    python experiments/reproduce.py --help                       # every study and option
"""
import sys

from studies.cli import main

if __name__ == "__main__":
    sys.exit(main())
