"""``python -m apps.receptive_field``: ERF analysis (see docs/apps-receptive-field.md)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
