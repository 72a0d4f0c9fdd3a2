"""The course's datasets: the planar flower and seeded two-class sets for the other lessons.

Every generator takes a ``seed`` and draws only from ``np.random.RandomState(seed)`` (or passes
``random_state=seed`` to scikit-learn), so the global NumPy random state is never touched and
the same seed always gives the same data. The default seeds give the datasets the course uses.

Arrays are column-major, one example per column:

- ``X``: shape ``(n_x, m)``, dtype ``float64``, here always ``n_x = 2``;
- ``Y``: shape ``(1, m)``, dtype ``int64``, labels 0 and 1.

The labels are ``int64`` rather than ``uint8`` so that arithmetic on them cannot wrap around
(``-Y``, ``Y @ Y.T`` and sums of many labels stay exact).

>>> X, Y = load_planar_dataset()
>>> X.shape, Y.shape, Y.dtype
((2, 400), (1, 400), dtype('int64'))
"""

from numbers import Integral, Real

import numpy as np

#: dtype of every label array ``Y`` returned by this module
LABEL_DTYPE = np.int64

_MAX_SEED = 2**32 - 1


# --- argument checks -----------------------------------------------------------------------


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= seed <= _MAX_SEED:
        raise ValueError(
            f"seed must be an integer between 0 and 2**32 - 1, got {seed!r}; "
            "pass a fixed integer such as seed=0 so that the data are reproducible"
        )
    return int(seed)


def _check_count(name, value, *, even=False, minimum=1):
    """Return ``value`` as an int after checking it is an integer >= ``minimum`` (and even)."""
    is_integer = isinstance(value, Integral) and not isinstance(value, bool)
    if not is_integer or value < minimum or (even and value % 2):
        kind = "even integer" if even else "integer"
        rule = f"a positive {kind}" if minimum == 1 else f"an {kind} >= {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return int(value)


def _check_nonnegative(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


# --- shared helpers ------------------------------------------------------------------------


def _column_major(points, labels):
    """Turn row-major sklearn output ``(m, 2)``, ``(m,)`` into ``X (2, m)``, ``Y (1, m)``."""
    X = np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)
    Y = np.asarray(labels).astype(LABEL_DTYPE).reshape(1, -1)
    return X, Y


def _class_labels(per_class):
    """``Y (1, 2 * per_class)``: ``per_class`` zeros then ``per_class`` ones."""
    return np.repeat(np.arange(2, dtype=LABEL_DTYPE), per_class).reshape(1, -1)


# --- generators ----------------------------------------------------------------------------


def load_planar_dataset(seed=1, per_class=200):
    """The planar "flower": two classes of points on the petals of a rose curve.

    For class ``j`` in {0, 1}, ``per_class`` angles and radii are drawn, in this order::

        theta = linspace(3.12 j, 3.12 (j + 1), per_class) + 0.2 randn(per_class)
        r = 4 sin(4 theta) + 0.2 randn(per_class)

    and the points are ``(r sin(theta), r cos(theta))``. All draws come from
    ``np.random.RandomState(seed)``, class 0 first. No straight line separates the petals:
    logistic regression fits 47% of the default data.

    Parameters
    ----------
    seed : int, default 1
        Seed of the random state; 1 gives the course's dataset.
    per_class : int, default 200
        Number of examples of each class.

    Returns
    -------
    X : ndarray of shape (2, 2 * per_class), float64
        The points, one per column: class 0 in the first ``per_class`` columns.
    Y : ndarray of shape (1, 2 * per_class), int64
        The labels: ``per_class`` zeros, then ``per_class`` ones.

    Examples
    --------
    >>> X, Y = load_planar_dataset()
    >>> X[:, 0].round(4).tolist()
    [1.2044, 3.5761]
    >>> int(Y.sum())
    200
    """
    rng = np.random.RandomState(_check_seed(seed))
    per_class = _check_count("per_class", per_class)
    X = np.empty((2, 2 * per_class))
    for j in range(2):
        columns = slice(j * per_class, (j + 1) * per_class)
        theta = np.linspace(3.12 * j, 3.12 * (j + 1), per_class) + 0.2 * rng.randn(per_class)
        radius = 4 * np.sin(4 * theta) + 0.2 * rng.randn(per_class)
        X[0, columns] = radius * np.sin(theta)
        X[1, columns] = radius * np.cos(theta)
    return X, _class_labels(per_class)


def noisy_circles(m=200, noise=0.2, factor=0.5, seed=1):
    """Two noisy concentric circles (scikit-learn ``make_circles``), in random order.

    Parameters
    ----------
    m : int, default 200
        Number of examples; the outer circle gets ``m - m // 2``, the inner ``m // 2``.
    noise : float, default 0.2
        Standard deviation of the Gaussian noise added to every coordinate.
    factor : float, default 0.5
        Radius of the inner circle relative to the outer one (radius 1), in (0, 1).
    seed : int, default 1
        Seed passed to scikit-learn as ``random_state``.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        0 for the outer circle, 1 for the inner one.
    """
    from sklearn.datasets import make_circles

    m = _check_count("m", m)
    noise = _check_nonnegative("noise", noise)
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0 < factor < 1:
        raise ValueError(
            f"factor must be a number between 0 and 1 (inner radius / outer radius), got {factor!r}"
        )
    points, labels = make_circles(n_samples=m, noise=noise, factor=float(factor), random_state=_check_seed(seed))
    return _column_major(points, labels)


def noisy_moons(m=200, noise=0.2, seed=0):
    """Two interleaving noisy half-moons (scikit-learn ``make_moons``), in random order.

    The defaults are ``make_moons(200, noise=0.2, random_state=0)``, on which logistic
    regression fits 85% of the examples.

    Parameters
    ----------
    m : int, default 200
        Number of examples; the upper moon gets ``m - m // 2``, the lower ``m // 2``.
    noise : float, default 0.2
        Standard deviation of the Gaussian noise added to every coordinate.
    seed : int, default 0
        Seed passed to scikit-learn as ``random_state``.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        0 for the upper moon, 1 for the lower one.
    """
    from sklearn.datasets import make_moons

    m = _check_count("m", m)
    noise = _check_nonnegative("noise", noise)
    points, labels = make_moons(n_samples=m, noise=noise, random_state=_check_seed(seed))
    return _column_major(points, labels)


def blobs(m=200, centers=6, seed=5):
    """Gaussian blobs (scikit-learn ``make_blobs``) coloured alternately with two labels.

    ``centers`` blobs of standard deviation 1 are placed at random in the square
    [-10, 10] x [-10, 10]; blob ``k`` gets the label ``k % 2``, so each class is a union of
    blobs that no straight line separates.

    Parameters
    ----------
    m : int, default 200
        Number of examples, shared as evenly as possible between the blobs.
    centers : int, default 6
        Number of blobs, at least 2.
    seed : int, default 5
        Seed passed to scikit-learn as ``random_state``.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        ``blob index % 2``.
    """
    from sklearn.datasets import make_blobs

    m = _check_count("m", m)
    centers = _check_count("centers", centers, minimum=2)
    points, blob = make_blobs(n_samples=m, n_features=2, centers=centers, random_state=_check_seed(seed))
    return _column_major(points, blob % 2)


def gaussian_quantiles(m=200, n_classes=2, seed=22):
    """A Gaussian cloud cut into nested shells (scikit-learn ``make_gaussian_quantiles``).

    The points are drawn from an isotropic Gaussian of covariance ``0.7 I`` and split by their
    distance from the centre into ``n_classes`` shells holding equal numbers of points; shell
    ``k`` (counted from the centre) gets the label ``k % 2``. With two classes this is a disc
    of zeros inside a ring of ones, where a straight line does little better than chance. On
    the default data logistic regression fits about 53%, the course's network with 4 hidden
    units about 94% after 5000 iterations, and with 50 units 100% (it overfits).

    Parameters
    ----------
    m : int, default 200
        Number of examples, at least ``n_classes``.
    n_classes : int, default 2
        Number of shells, at least 2.
    seed : int, default 22
        Seed passed to scikit-learn as ``random_state``.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
        ``shell index % 2``.
    """
    from sklearn.datasets import make_gaussian_quantiles

    n_classes = _check_count("n_classes", n_classes, minimum=2)
    m = _check_count("m", m, minimum=n_classes)
    points, shell = make_gaussian_quantiles(
        cov=0.7, n_samples=m, n_features=2, n_classes=n_classes, random_state=_check_seed(seed)
    )
    return _column_major(points, shell % 2)


def noisy_parabolas(m=400, noise=0.8, seed=0):
    """Two interleaved noisy parabolas: a valley of zeros next to a hill of ones.

    Class 0 lies around ``y = (x + 1)**2 - 3`` for ``x`` uniform in [-3, 1], class 1 around
    ``y = 3 - (x - 1)**2`` for ``x`` uniform in [-1, 3]; each arm reaches into the other curve's
    hollow, so the boundary has to bend twice. With the course's network (10000 iterations,
    learning rate 1.2) the default data are fitted to about 87% with 2 hidden units and 98%
    with 3. Draws from ``np.random.RandomState(seed)``: the ``x`` of class 0, then of class 1,
    then the noise of class 0, then of class 1.

    Parameters
    ----------
    m : int, default 400
        Number of examples, a positive even number: ``m // 2`` per class.
    noise : float, default 0.8
        Standard deviation of the Gaussian noise added to ``y``.
    seed : int, default 0
        Seed of the random state.

    Returns
    -------
    X : ndarray of shape (2, m), float64
        Class 0 in the first ``m // 2`` columns.
    Y : ndarray of shape (1, m), int64
        ``m // 2`` zeros, then ``m // 2`` ones.
    """
    m = _check_count("m", m, even=True)
    noise = _check_nonnegative("noise", noise)
    rng = np.random.RandomState(_check_seed(seed))
    half = m // 2
    x_valley = rng.uniform(-3.0, 1.0, half)
    x_hill = rng.uniform(-1.0, 3.0, half)
    y_valley = (x_valley + 1.0) ** 2 - 3.0 + noise * rng.randn(half)
    y_hill = 3.0 - (x_hill - 1.0) ** 2 + noise * rng.randn(half)
    X = np.vstack([np.concatenate([x_valley, x_hill]), np.concatenate([y_valley, y_hill])])
    return X, _class_labels(half)


def no_structure(m=200, seed=0):
    """Points with labels unrelated to them: nothing to learn beyond memorising.

    The points are uniform in the square [-1, 1] x [-1, 1]; ``m - m // 2`` zeros and
    ``m // 2`` ones are then shuffled and assigned at random. Draws from
    ``np.random.RandomState(seed)``: the points, then the permutation of the labels.

    Parameters
    ----------
    m : int, default 200
        Number of examples.
    seed : int, default 0
        Seed of the random state.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64
    """
    m = _check_count("m", m)
    rng = np.random.RandomState(_check_seed(seed))
    X = rng.uniform(-1.0, 1.0, size=(2, m))
    labels = np.zeros(m, dtype=LABEL_DTYPE)
    labels[m - m // 2:] = 1
    return X, rng.permutation(labels).reshape(1, -1)


# --- registry ------------------------------------------------------------------------------

#: dataset name -> generator; each generator's defaults give the course's version
DATASETS = {
    "planar": load_planar_dataset,
    "circles": noisy_circles,
    "moons": noisy_moons,
    "blobs": blobs,
    "gaussian_quantiles": gaussian_quantiles,
    "parabolas": noisy_parabolas,
    "no_structure": no_structure,
}


def load_dataset(name, seed=None, **kwargs):
    """Generate the dataset registered as ``name`` in :data:`DATASETS`.

    Parameters
    ----------
    name : str
        One of the keys of :data:`DATASETS`.
    seed : int or None, default None
        Seed of the generator; ``None`` keeps the generator's default (the course's dataset).
    **kwargs
        Further keyword arguments of that generator, such as ``m`` or ``noise``.

    Returns
    -------
    X : ndarray of shape (2, m), float64
    Y : ndarray of shape (1, m), int64

    Examples
    --------
    >>> X, Y = load_dataset("moons", m=50)
    >>> X.shape, Y.shape
    ((2, 50), (1, 50))
    """
    if name not in DATASETS:
        known = ", ".join(repr(key) for key in DATASETS)
        raise ValueError(f"unknown dataset {name!r}: choose one of {known}")
    if seed is not None:
        kwargs["seed"] = seed
    return DATASETS[name](**kwargs)


# --- splitting -----------------------------------------------------------------------------


def train_test_split(X, Y, test_fraction=0.25, seed=0):
    """Split column-major data into a training and a test set, stratified by label.

    Each label contributes ``round(test_fraction * count)`` of its examples to the test set,
    chosen with ``np.random.RandomState(seed)``, so both sets keep the class balance of ``Y``.
    Every example lands in exactly one of the two sets, and both keep the original order of
    the columns. The inputs are not modified; the outputs are new arrays.

    Parameters
    ----------
    X : ndarray of shape (n_x, m)
    Y : ndarray of shape (1, m)
    test_fraction : float, default 0.25
        Share of each class put in the test set, strictly between 0 and 1.
    seed : int, default 0
        Seed of the random state.

    Returns
    -------
    X_train : ndarray of shape (n_x, m_train)
    Y_train : ndarray of shape (1, m_train)
    X_test : ndarray of shape (n_x, m_test)
    Y_test : ndarray of shape (1, m_test)
        With ``m_train + m_test = m``.

    Examples
    --------
    >>> X, Y = load_planar_dataset()
    >>> X_train, Y_train, X_test, Y_test = train_test_split(X, Y)
    >>> X_train.shape, X_test.shape, int(Y_test.sum())
    ((2, 300), (2, 100), 50)
    """
    X = np.asarray(X)
    Y = np.asarray(Y)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (n_x, m), got shape {X.shape}")
    if Y.ndim != 2 or Y.shape[0] != 1:
        raise ValueError(f"Y must be a 2-D array of shape (1, m), got shape {Y.shape}; try Y.reshape(1, -1)")
    if X.shape[1] != Y.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of examples (columns), got X {X.shape} and Y {Y.shape}"
        )
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, Real) or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1, got {test_fraction!r}")
    rng = np.random.RandomState(_check_seed(seed))

    labels = Y[0]
    in_test = np.zeros(labels.size, dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_test = int(round(test_fraction * members.size))
        in_test[rng.permutation(members)[:n_test]] = True
    if in_test.all() or not in_test.any():
        raise ValueError(
            f"test_fraction={test_fraction} leaves the {'training' if in_test.all() else 'test'} set "
            f"empty for m={labels.size}; use more examples or a test_fraction nearer 0.5"
        )
    return X[:, ~in_test], Y[:, ~in_test], X[:, in_test], Y[:, in_test]
