"""``python -m syndicate``."""

from syndicate.cli import main

main()
