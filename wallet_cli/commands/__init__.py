"""The wallet's commands, one module per group; :mod:`wallet_cli.cli` puts them on the command line."""
