"""``python -m graduasi`` runs the command line."""

from graduasi.cli import main

main()
