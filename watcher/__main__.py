"""``python -m watcher`` runs the command line."""

from watcher.cli import main

main()
