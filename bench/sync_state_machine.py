"""The nightly run of the sync state machine (reliability.md A15): the CI test, with many more examples.

    .venv/bin/python bench/sync_state_machine.py                 # 5,000 examples on SQLite and PostgreSQL
    .venv/bin/python bench/sync_state_machine.py --examples 500 --backend sqlite

Prints the pytest summary; exits non-zero when hypothesis finds a sequence that breaks an invariant (it prints
the shortest such sequence). Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    selector = "" if args.backend == "both" else f"-k {args.backend}"
    env = {**os.environ, "GRADUASI_HYPOTHESIS_EXAMPLES": str(args.examples)}
    cmd = [sys.executable, "-m", "pytest", "tests/sync/test_state_machine.py", "-q", "-p", "no:cacheprovider",
           "-o", "timeout=0", *selector.split()]  # fmt: skip
    sys.exit(subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode)


if __name__ == "__main__":
    main()
