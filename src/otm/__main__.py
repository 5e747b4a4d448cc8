"""``python -m otm`` runs the command line."""

from otm.cli.app import main

main()
