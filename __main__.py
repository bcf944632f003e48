"""`python -m chainrule ...` is the same as `chainrule ...`."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
