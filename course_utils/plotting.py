"""Plots of the course: datasets, decision boundaries, cost curves, sweeps, hidden-unit weights and
the network itself.

Arrays are column-major as everywhere in the course: ``X`` of shape ``(2, m)``, ``Y`` of shape
``(1, m)`` (a flat ``(m,)`` is accepted too) with labels 0 and 1.

Every function draws on the axes it is given, or on a new figure when ``ax`` is ``None``, and
returns the axes. None of them changes matplotlib's global settings (no ``rcParams``, no
styles). ``matplotlib.pyplot`` is imported on first use, not when this module is imported.
"""

from numbers import Integral, Real

import numpy as np

#: colours of class 0 and class 1: blue and orange of the Okabe-Ito palette, told apart by colour-blind readers
CLASS_COLORS = ("#0072B2", "#E69F00")
#: markers of class 0 and class 1, so that the classes stay distinct in greyscale too
CLASS_MARKERS = ("o", "^")
#: opacity of the class regions under a decision boundary
REGION_ALPHA = 0.3


# --- checks --------------------------------------------------------------------------------


def _check_points(X, Y):
    """Return ``X`` as a float ``(2, m)`` array and ``Y`` as a flat ``(m,)`` label array."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != 2:
        raise ValueError(
            f"X must have shape (2, m), one point per column, got shape {X.shape}; "
            "a row-major (m, 2) array needs X.T"
        )
    m = X.shape[1]
    Y = np.asarray(Y)
    if not (Y.shape == (1, m) or Y.shape == (m,)):
        raise ValueError(f"Y must have shape (1, m) with m = {m} to match X, got shape {Y.shape}")
    labels = Y.reshape(-1)
    _check_binary("Y", labels)
    return X.astype(np.float64), labels.astype(np.int64)


def _check_binary(name, values, hint=""):
    outside = ~np.isin(values, (0, 1))
    if outside.any():
        example = values[np.flatnonzero(outside)[0]].item()
        raise ValueError(f"{name} must hold labels 0 and 1, got values such as {example!r}{hint}")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_margin(margin):
    if isinstance(margin, bool) or not isinstance(margin, Real) or not np.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0 (a fraction of the data's range), got {margin!r}")
    return float(margin)


# --- building blocks -----------------------------------------------------------------------


def _new_axes(ax, figsize=(5.5, 4.5)):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _scatter_classes(ax, X, labels, legend):
    """One scatter collection per class, class 0 first."""
    for label in (0, 1):
        chosen = labels == label
        ax.scatter(
            X[0, chosen],
            X[1, chosen],
            s=22,
            c=CLASS_COLORS[label],
            marker=CLASS_MARKERS[label],
            edgecolors="white",
            linewidths=0.5,
            label=f"y = {label}",
        )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if legend:
        ax.legend(loc="upper right", framealpha=0.9)


def _grid(X, resolution, margin):
    """A regular grid around the points: ``xx, yy`` of shape (resolution, resolution), columns (2, resolution**2)."""
    axes_ranges = []
    for row in X:
        low, high = row.min(), row.max()
        pad = margin * (high - low) if high > low else 1.0
        axes_ranges.append(np.linspace(low - pad, high + pad, resolution))
    xx, yy = np.meshgrid(*axes_ranges)
    return xx, yy, np.vstack([xx.ravel(), yy.ravel()])


def _grid_labels(predict, grid, shape, name="predict"):
    """Call ``predict`` on the grid columns and return its labels reshaped to ``shape``, as floats."""
    k = grid.shape[1]
    labels = np.asarray(predict(grid))
    if labels.size != k:
        raise ValueError(
            f"{name} returned an array of shape {labels.shape} for a (2, {k}) grid; "
            f"it must return one label per column: shape (1, {k}) or ({k},)"
        )
    labels = labels.reshape(-1)
    _check_binary(f"the output of {name}", labels, hint="; threshold probabilities, e.g. (A2 > 0.5)")
    return labels.astype(np.float64).reshape(shape)


def _draw_boundary(ax, xx, yy, regions, X, labels, legend):
    ax.contourf(xx, yy, regions, levels=[-0.5, 0.5, 1.5], colors=CLASS_COLORS, alpha=REGION_ALPHA)
    _scatter_classes(ax, X, labels, legend)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())


# --- public plots --------------------------------------------------------------------------


def plot_dataset(X, Y, ax=None, title=None):
    """Scatter plot of a two-class dataset, one colour and marker per class, with a legend.

    Parameters
    ----------
    X : array_like of shape (2, m)
        The points, one per column.
    Y : array_like of shape (1, m) or (m,)
        Their labels, 0 or 1.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    title : str, optional

    Returns
    -------
    matplotlib Axes
        With two scatter collections: class 0, then class 1.
    """
    X, labels = _check_points(X, Y)
    ax = _new_axes(ax)
    _scatter_classes(ax, X, labels, legend=True)
    ax.set_aspect("equal", adjustable="datalim")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_decision_boundary(predict, X, Y, ax=None, resolution=300, margin=0.1, title=None):
    """The regions a classifier assigns to each class, with the data on top.

    ``predict`` is called once, on all the points of a ``resolution x resolution`` grid that
    covers the data plus ``margin`` times their range on every side.

    Parameters
    ----------
    predict : callable
        Takes a column-major array of shape (2, k) and returns k labels 0/1 of shape (1, k) or
        (k,): for the course's network ``lambda X: predict(parameters, X)``, for a
        scikit-learn classifier ``lambda X: classifier.predict(X.T)``.
    X : array_like of shape (2, m)
        The points, one per column.
    Y : array_like of shape (1, m) or (m,)
        Their labels, 0 or 1.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    resolution : int, default 300
        Grid points along each axis (at least 2).
    margin : float, default 0.1
        Space around the data, as a fraction of their range along each axis.
    title : str, optional

    Returns
    -------
    matplotlib Axes
        With the filled contour of the regions and the two scatter collections of the data.
    """
    X, labels = _check_points(X, Y)
    resolution = _check_int("resolution", resolution, minimum=2)
    xx, yy, grid = _grid(X, resolution, _check_margin(margin))
    regions = _grid_labels(predict, grid, xx.shape)
    ax = _new_axes(ax)
    _draw_boundary(ax, xx, yy, regions, X, labels, legend=True)
    ax.set_aspect("equal", adjustable="box")
    if title is not None:
        ax.set_title(title)
    return ax


def plot_costs(costs, ax=None, every=None, label=None, title=None, log_scale=False):
    """The cost curve of a training run; call again on the same axes to compare runs.

    Parameters
    ----------
    costs : sequence of float, length n
        The costs in the order they were recorded.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    every : int, optional
        Iterations between two recorded costs: ``costs[i]`` is plotted at iteration
        ``i * every``. The default, 1, fits ``nn_model``, which records every iteration.
    label : str, optional
        Name of the curve in the legend (for instance ``"learning_rate = 1.2"``); the legend is
        drawn (again) whenever a label is given.
    title : str, optional
    log_scale : bool, default False
        Use a logarithmic cost axis, where slow late progress stays visible.

    Returns
    -------
    matplotlib Axes
        With one more line, its x data the iterations and its y data the costs.
    """
    try:
        values = np.asarray(costs, dtype=np.float64)
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1:
        found = type(costs).__name__ if values is None else f"shape {values.shape}"
        raise ValueError(
            f"costs must be a 1-D sequence of numbers (costs[i] the i-th recorded cost), got {found}"
        )
    if values.size == 0:
        raise ValueError("costs is empty: record at least one cost before plotting")
    step = 1 if every is None else _check_int("every", every, minimum=1)
    ax = _new_axes(ax)
    ax.plot(np.arange(values.size) * step, values, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost")
    if log_scale:
        ax.set_yscale("log")
    if label is not None:
        ax.legend()
    if title is not None:
        ax.set_title(title)
    return ax


def plot_boundary_grid(predicts, X, Y, titles=None, ncols=3, axes=None, resolution=200, margin=0.1):
    """Decision boundaries of several classifiers side by side, for instance a hidden-size sweep.

    Parameters
    ----------
    predicts : dict of title -> callable, or sequence of callables
        The classifiers, each as in :func:`plot_decision_boundary`. A dict's keys are the
        default titles.
    X : array_like of shape (2, m)
    Y : array_like of shape (1, m) or (m,)
    titles : sequence of str, optional
        One title per classifier; replaces the keys of a dict. Without titles and with a list,
        the panels are titled "model 1", "model 2", ...
    ncols : int, default 3
        Panels per row (fewer when there are fewer classifiers).
    axes : array of matplotlib Axes, optional
        Where to draw, at least one per classifier; a new figure is made when omitted.
    resolution : int, default 200
        Grid points along each axis of every panel.
    margin : float, default 0.1
        Space around the data, as a fraction of their range.

    Returns
    -------
    ndarray of matplotlib Axes, shape (n_axes,)
        Flat, in reading order: ``axes[i]`` shows classifier ``i``; axes beyond the last
        classifier are hidden.
    """
    if isinstance(predicts, dict):
        functions = list(predicts.values())
        default_titles = [str(key) for key in predicts]
        names = [f"predicts[{key!r}]" for key in predicts]
    else:
        functions = list(predicts)
        default_titles = [f"model {i + 1}" for i in range(len(functions))]
        names = [f"predicts[{i}]" for i in range(len(functions))]
    n = len(functions)
    if n == 0:
        raise ValueError("predicts is empty: give at least one classifier")
    for name, function in zip(names, functions):
        if not callable(function):
            raise ValueError(f"{name} must be callable, got {type(function).__name__}")
    titles = default_titles if titles is None else [str(title) for title in titles]
    if len(titles) != n:
        raise ValueError(f"titles must give one title per classifier: got {len(titles)} titles for {n} classifiers")
    ncols = min(_check_int("ncols", ncols, minimum=1), n)

    X, labels = _check_points(X, Y)
    resolution = _check_int("resolution", resolution, minimum=2)
    xx, yy, grid = _grid(X, resolution, _check_margin(margin))
    all_regions = [_grid_labels(function, grid, xx.shape, name) for name, function in zip(names, functions)]

    if axes is None:
        import matplotlib.pyplot as plt

        nrows = -(-n // ncols)
        _, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3.6 * nrows), squeeze=False, layout="constrained")
    flat = np.asarray(axes, dtype=object).reshape(-1)
    if flat.size < n:
        raise ValueError(f"axes holds {flat.size} axes but there are {n} classifiers to plot")

    for ax, regions, title in zip(flat, all_regions, titles):
        _draw_boundary(ax, xx, yy, regions, X, labels, legend=False)
        ax.set_title(title)
    for ax in flat[n:]:
        ax.set_visible(False)
    return flat


def plot_hidden_units(W1, ax=None, title=None, annotate=None):
    """A heatmap of the hidden layer's weights ``W1``: row ``i`` is hidden unit ``i``.

    Identical rows, as after a zero (or constant) initialisation, mean identical hidden
    units: they compute the same function and receive the same gradient, so they stay equal.

    Parameters
    ----------
    W1 : array_like of shape (n_h, n_x)
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    title : str, optional
    annotate : bool, optional
        Write each weight in its cell; by default only when there are at most 64 cells.

    Returns
    -------
    matplotlib Axes
        Holding one image (``ax.images[0]``, colours symmetric around 0, to pass to
        ``plt.colorbar``) and, when annotated, one text per weight.
    """
    weights = np.asarray(W1, dtype=np.float64)
    if weights.ndim != 2 or weights.size == 0:
        raise ValueError(f"W1 must be a non-empty 2-D array of shape (n_h, n_x), got shape {weights.shape}")
    n_h, n_x = weights.shape
    if annotate is None:
        annotate = weights.size <= 64
    # colours symmetric around 0; an all-zero W1 still needs a non-empty range
    limit = np.abs(weights).max() or 1.0

    ax = _new_axes(ax, figsize=(1.2 * n_x + 2.5, 0.45 * n_h + 1.5))
    ax.imshow(weights, cmap="PuOr", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(n_x), [f"$x_{j + 1}$" for j in range(n_x)])
    ax.set_yticks(range(n_h), [f"unit {i + 1}" for i in range(n_h)])
    ax.set_xlabel("input feature")
    ax.set_ylabel("hidden unit (row of W1)")
    if annotate:
        for (i, j), value in np.ndenumerate(weights):
            color = "white" if abs(value) > 0.6 * limit else "black"
            # "+ 0.0" turns -0.0 into 0.0, so a zero is never written "-0"
            ax.text(j, i, f"{value + 0.0:.2g}", ha="center", va="center", color=color, fontsize=9)
    if title is not None:
        ax.set_title(title)
    return ax


#: fill colours of the input, hidden and output units in :func:`plot_network` (neutral: not the class colours)
LAYER_COLORS = ("#E8E8E8", "#D9E7D3", "#E9DDEB")


def plot_network(n_x=2, n_h=4, n_y=1, ax=None, title=None):
    """A drawing of the one-hidden-layer network: its units, its connections and its parameters.

    Every input feeds every hidden unit and every hidden unit feeds every output, so there is
    one line per entry of ``W1`` and of ``W2``. The parameters are named with their shapes.

    Parameters
    ----------
    n_x, n_h, n_y : int, default 2, 4, 1
        Sizes of the input, hidden and output layers.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made when omitted.
    title : str, optional

    Returns
    -------
    matplotlib Axes
        With one circle per unit in ``ax.patches`` (inputs, then hidden units, then outputs,
        each layer from top to bottom) and one line per connection in ``ax.lines``
        (``W1``'s ``n_h * n_x`` first, then ``W2``'s ``n_y * n_h``).
    """
    sizes = [_check_int(name, value, minimum=1) for name, value in (("n_x", n_x), ("n_h", n_h), ("n_y", n_y))]
    from matplotlib.patches import Circle

    tallest = max(sizes)
    ax = _new_axes(ax, figsize=(7, 0.75 * tallest + 1.9))
    radius, gap = 0.26, 2.2  # unit radius, distance between layers (units are 1 apart)
    # layer j at x = gap * j; its units centred on y = 0, the first at the top
    centres = [[(gap * j, (size - 1) / 2 - k) for k in range(size)] for j, size in enumerate(sizes)]
    for start, end in ((0, 1), (1, 2)):
        for x1, y1 in centres[end]:
            for x0, y0 in centres[start]:
                ax.plot([x0, x1], [y0, y1], color="0.55", linewidth=0.9, zorder=1)
    unit_labels = ([f"$x_{{{k + 1}}}$" for k in range(n_x)], ["tanh"] * n_h, [r"$\sigma$"] * n_y)
    for j, layer in enumerate(centres):
        for (x, y), label in zip(layer, unit_labels[j]):
            ax.add_patch(Circle((x, y), radius, facecolor=LAYER_COLORS[j], edgecolor="0.25", zorder=2))
            ax.text(x, y, label, ha="center", va="center", fontsize=9 if label == "tanh" else 11, zorder=3)

    top = (tallest - 1) / 2 + radius
    bottom = -top
    headings = (f"inputs\n$n_x = {n_x}$", f"hidden layer\n$n_h = {n_h}$ tanh units",
                f"output layer\n$n_y = {n_y}$ sigmoid unit" + ("" if n_y == 1 else "s"))
    for j, heading in enumerate(headings):
        ax.text(gap * j, top + 0.25, heading, ha="center", va="bottom", fontsize=10)
    for j, (W, b, rows, cols) in enumerate((("W_1", "b_1", n_h, n_x), ("W_2", "b_2", n_y, n_h))):
        ax.text(gap * (j + 0.5), bottom - 0.25, f"${W}$ ({rows}, {cols})\n${b}$ ({rows}, 1)",
                ha="center", va="top", fontsize=10)
    outputs = [r"$\hat y = a_2$"] if n_y == 1 else [f"$\\hat y_{{{k + 1}}}$" for k in range(n_y)]
    for (x, y), label in zip(centres[2], outputs):
        ax.annotate("", xy=(x + radius + 0.6, y), xytext=(x + radius, y),
                    arrowprops={"arrowstyle": "->", "color": "0.25"})
        ax.text(x + radius + 0.7, y, label, ha="left", va="center", fontsize=11)
    ax.set_xlim(-0.9, 2 * gap + 1.9)
    ax.set_ylim(bottom - 1.0, top + 0.9)
    ax.set_aspect("equal")
    ax.axis("off")
    if title is not None:
        ax.set_title(title)
    return ax
