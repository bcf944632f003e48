"""The checks every part of chainrule makes of a number it is given, written once.

real(x, what): a finite float from an int or float (not a bool), or an error naming `what`.
positive_int(n, what): a whole number >= 1, or an error naming `what`.
"""
import math
from numbers import Real


def is_real(x):
    """Whether x is a number a Value can take: a real number, not a bool."""
    return type(x) is float or type(x) is int or (isinstance(x, Real) and not isinstance(x, bool))


def real(x, what):
    """x as a finite float; TypeError if it is not a real number (or is a bool), ValueError if it is
    not finite or too large for a float. `what` names it in the message ("Value()", "lr")."""
    if type(x) is float:
        if math.isfinite(x):
            return x
    elif not is_real(x):
        raise TypeError(f"{what} takes a real number (int or float), not {type(x).__name__} {x!r}")
    else:
        try:
            x = float(x)
        except OverflowError:
            raise ValueError(f"{what} takes a finite number; this {type(x).__name__} is too large for a float "
                             f"(largest: about 1.8e308)") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} takes a finite number, not {x!r}")
    return x


def positive_int(n, what):
    """n if it is an int >= 1 (not a bool); TypeError or ValueError naming `what` otherwise."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"{what} must be an int, not {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n
