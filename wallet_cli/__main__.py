"""``python -m wallet_cli``: the same as ``tawtiq-wallet``."""

from wallet_cli.cli import main

main()
