"""Small data sets that ship with the code (no download): the tutorials' tables and two moons.

Each function returns a new Dataset: rows `X`, targets `y`, optional row `names`.
Iterating over it gives (x, y) pairs, the form fit() takes.
"""
import math
import random

from ..engine.checks import positive_int, real


class Dataset:
    """Rows X with targets y (and optional names); iterating gives (x, y) pairs."""

    def __init__(self, title, X, y, names=None):
        if len(X) != len(y) or (names is not None and len(names) != len(y)):
            raise ValueError(f"{title}: {len(X)} rows, {len(y)} targets and {len(names or y)} names differ")
        self.title = title
        self.X = [list(map(float, x)) for x in X]
        self.y = [float(t) for t in y]
        self.names = None if names is None else list(names)

    def __len__(self):
        return len(self.y)

    def __iter__(self):
        return iter(zip(self.X, self.y))

    def __getitem__(self, i):
        return self.X[i], self.y[i]

    def __repr__(self):
        return f"<Dataset {self.title!r}: {len(self)} rows of {len(self.X[0]) if self.X else 0} inputs>"


def gender():
    """Weight and height -> gender, from the tutorial: weight - 135 lb, height - 66 in; 1 = F, 0 = M."""
    rows = [("Alice", -2, -1, 1), ("Bob", 25, 6, 0), ("Charlie", 17, 4, 0), ("Diana", -15, -6, 1)]
    return Dataset("gender", [r[1:3] for r in rows], [r[3] for r in rows], [r[0] for r in rows])


def xor():
    """y = x1 XOR x2 on the four corners, targets 0/1."""
    X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    return Dataset("xor", X, [a ^ b for a, b in X])


def four_buttons():
    """The four-button machine: one-hot inputs (which button was pressed); only the 3rd gives food (1)."""
    X = [[1 if j == i else 0 for j in range(4)] for i in range(4)]
    return Dataset("four buttons", X, [0, 0, 1, 0], [f"button {i + 1}" for i in range(4)])


def two_layer_table():
    """The 2-layer tutorial's table: y = x1 XOR x2, with a third input that is always 1."""
    X = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
    return Dataset("2-layer table", X, [0, 1, 1, 0])


def two_moons(n=100, noise=0.1, seed=0):
    """n points on two interleaved half circles plus Gaussian noise; labels -1 (upper) and +1 (lower).

    Upper moon: (cos t, sin t); lower moon: (1 - cos t, 0.5 - sin t), t evenly spaced in [0, pi];
    then each coordinate gets noise ~ N(0, noise^2), and the rows are shuffled, all drawn from
    random.Random(seed). Labels are -1/+1, ready for hinge(); use (y + 1) / 2 for 0/1.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"two_moons: n must be an int >= 2, got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise < math.inf:
        raise ValueError(f"two_moons: noise must be a finite number >= 0, got {noise!r}")
    rng = random.Random(seed)
    upper, lower = n // 2, n - n // 2
    rows = [(math.cos(t), math.sin(t), -1) for t in _evenly(upper)]
    rows += [(1 - math.cos(t), 0.5 - math.sin(t), 1) for t in _evenly(lower)]
    rows = [(a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise), label) for a, b, label in rows]
    rng.shuffle(rows)
    return Dataset("two moons", [r[:2] for r in rows], [r[2] for r in rows])


def _evenly(count):
    """count angles evenly spaced from 0 to pi, both ends included."""
    if count == 1:
        return [0.0]
    return [math.pi * i / (count - 1) for i in range(count)]


class Classes(Dataset):
    """A Dataset whose targets are class indices 0..k-1, kept as ints (cross_entropy takes an
    index, not a float); `classes` is k."""

    def __init__(self, title, X, y, classes):
        super().__init__(title, X, y)
        self.y = [int(t) for t in y]
        self.classes = classes


def spiral(n_per_class=100, classes=3, noise=0.2, seed=0):
    """`classes` spiral arms around the origin, n_per_class points each; the target is the arm's index.

    Point i of arm k (i = 0 .. n-1) lies at radius r = i / (n - 1), from the centre (r = 0) out
    to r = 1, at angle t = (k + r) * 4 radians plus noise ~ N(0, noise^2): x = (r sin t, r cos t).
    Each arm turns through 4 radians, so with 3 arms they wind around each other and no straight
    line separates them. Rows are in arm order (all of arm 0, then arm 1, ...), drawn from
    random.Random(seed). Returns a Classes dataset: y holds ints 0 .. classes-1.
    """
    n_per_class = positive_int(n_per_class, "spiral: n_per_class")
    classes = positive_int(classes, "spiral: classes")
    if n_per_class < 2:
        raise ValueError(f"spiral: n_per_class must be at least 2 (an arm from its centre out), got {n_per_class}")
    if real(noise, "spiral: noise") < 0:
        raise ValueError(f"spiral: noise must be >= 0, got {noise!r}")
    rng = random.Random(seed)
    X, y = [], []
    for k in range(classes):
        for i in range(n_per_class):
            r = i / (n_per_class - 1)
            t = (k + r) * 4.0 + rng.gauss(0.0, noise)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(k)
    return Classes(f"spiral ({classes} classes)", X, y, classes)
