"""``python -m salesops …``: one module per job's commands, wired together in :mod:`salesops.cli.main`."""
