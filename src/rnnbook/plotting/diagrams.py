"""Figures drawn by code: the unrolled recurrent graph and the input/output patterns.

Only NumPy and matplotlib are used. Every function draws into a matplotlib ``Axes`` that you
pass in (or creates one) and returns it, so a notebook can combine figures freely::

    import matplotlib.pyplot as plt
    from rnnbook.plotting import draw_unrolled_rnn, draw_io_patterns

    draw_unrolled_rnn(T=4)
    draw_io_patterns()
    plt.show()

Layout: time runs left to right; inputs x_t sit in the bottom row, hidden states h_t in the
middle row and outputs y_t in the top row. Arrows carry the name of the weight matrix that
acts along them.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# Colours, one per role, used in every figure of the book.
COLORS = {
    "input": "#dbe9f6",
    "hidden": "#fde2c8",
    "output": "#d9f0d3",
    "state": "#eeeeee",
    "edge": "#333333",
    "shared": "#c0392b",
}

_BOX_W, _BOX_H = 0.7, 0.45
_ROW_Y = {"x": 0.0, "h": 1.3, "y": 2.6}


def _box(ax, x, y, text, color, *, fontsize=11):
    ax.add_patch(
        FancyBboxPatch(
            (x - _BOX_W / 2, y - _BOX_H / 2),
            _BOX_W,
            _BOX_H,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=color,
            edgecolor=COLORS["edge"],
            linewidth=1.2,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(
    ax,
    start,
    end,
    *,
    color=None,
    label=None,
    label_offset=(0.0, 0.0),
    rad=0.0,
    fontsize=9,
    lw=1.3,
):
    color = color or COLORS["edge"]
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=12,
            color=color,
            linewidth=lw,
            shrinkA=0,
            shrinkB=0,
            connectionstyle=f"arc3,rad={rad}",
        )
    )
    if label:
        mx = (start[0] + end[0]) / 2 + label_offset[0]
        my = (start[1] + end[1]) / 2 + label_offset[1]
        ax.text(
            mx,
            my,
            label,
            ha="center",
            va="center",
            fontsize=fontsize,
            color=color,
            bbox=dict(facecolor="white", edgecolor="none", pad=0.5),
        )


def _finish(ax, xmin, xmax, title):
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(-0.55, 3.1)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=11)


def draw_sequence_graph(
    inputs: Sequence[bool],
    outputs: Sequence[bool],
    *,
    ax=None,
    title: str | None = None,
    weight_labels: bool = True,
    show_h0: bool = True,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
):
    """Draw an unrolled RNN with a hidden state at every step and optional inputs/outputs.

    Parameters
    ----------
    inputs : (T,) booleans, True where step t receives an input x_t
    outputs : (T,) booleans, True where step t emits an output y_t
    ax : matplotlib Axes to draw into (a new figure is made if None)
    title : axes title
    weight_labels : write W_xh, W_hh, W_hy on the arrows (the recurrent ones in red: one
        shared matrix)
    show_h0 : draw the initial state h_0 on the left
    input_names, output_names : (T,) labels for the boxes (default ``x_t`` and ``y_t``)

    Returns
    -------
    ax : the Axes drawn into
    """
    inputs, outputs = list(inputs), list(outputs)
    if len(inputs) != len(outputs):
        raise ValueError(
            "expected inputs and outputs of the same length T, "
            f"got {len(inputs)} and {len(outputs)}"
        )
    T = len(inputs)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.4 * T + 1.5, 3.2))
    step = 1.3
    xs = [step * (t + 1) for t in range(T)]
    input_names = input_names or [f"$x_{{{t + 1}}}$" for t in range(T)]
    output_names = output_names or [f"$y_{{{t + 1}}}$" for t in range(T)]
    yx, yh, yy = _ROW_Y["x"], _ROW_Y["h"], _ROW_Y["y"]

    if show_h0:
        _box(ax, 0.0, yh, "$h_0$", COLORS["state"])
    for t, x in enumerate(xs):
        _box(ax, x, yh, f"$h_{{{t + 1}}}$", COLORS["hidden"])
        if inputs[t]:
            _box(ax, x, yx, input_names[t], COLORS["input"])
            _arrow(
                ax,
                (x, yx + _BOX_H / 2),
                (x, yh - _BOX_H / 2),
                label="$W_{xh}$" if weight_labels else None,
                label_offset=(0.0, 0.0),
            )
        if outputs[t]:
            _box(ax, x, yy, output_names[t], COLORS["output"])
            _arrow(
                ax,
                (x, yh + _BOX_H / 2),
                (x, yy - _BOX_H / 2),
                label="$W_{hy}$" if weight_labels else None,
            )
        if t > 0 or show_h0:
            left = xs[t - 1] if t > 0 else 0.0
            _arrow(
                ax,
                (left + _BOX_W / 2, yh),
                (x - _BOX_W / 2, yh),
                color=COLORS["shared"],
                label="$W_{hh}$" if weight_labels else None,
                label_offset=(0.0, 0.22),
            )
    _finish(ax, (-0.5 if show_h0 else xs[0] - 0.6), xs[-1] + 0.6, title)
    return ax


def draw_unrolled_rnn(T: int = 4, *, ax=None, title: str | None = None):
    """Draw the folded RNN cell (a box with a self-loop), an equals sign, and its unrolling.

    Parameters
    ----------
    T : number of time steps to unroll (>= 1)
    ax : matplotlib Axes to draw into (a new figure is made if None)
    title : axes title

    Returns
    -------
    ax : the Axes drawn into
    """
    if T < 1:
        raise ValueError(f"expected T >= 1 time steps, got {T}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.4 * T + 3.2, 3.4))
    # Folded view on the left: x -> h -> y, with h feeding itself through W_hh.
    fx = -3.0
    yx, yh, yy = _ROW_Y["x"], _ROW_Y["h"], _ROW_Y["y"]
    _box(ax, fx, yx, "$x_t$", COLORS["input"])
    _box(ax, fx, yh, "$h_t$", COLORS["hidden"])
    _box(ax, fx, yy, "$y_t$", COLORS["output"])
    _arrow(ax, (fx, yx + _BOX_H / 2), (fx, yh - _BOX_H / 2), label="$W_{xh}$")
    _arrow(ax, (fx, yh + _BOX_H / 2), (fx, yy - _BOX_H / 2), label="$W_{hy}$")
    ax.add_patch(
        FancyArrowPatch(
            (fx + _BOX_W / 2, yh + 0.12),
            (fx + _BOX_W / 2, yh - 0.12),
            arrowstyle="-|>",
            mutation_scale=12,
            color=COLORS["shared"],
            linewidth=1.3,
            shrinkA=0,
            shrinkB=0,
            connectionstyle="bar,fraction=-1.2",
        )
    )
    ax.text(
        fx + 0.75,
        yh + 0.32,
        "$W_{hh}$",
        color=COLORS["shared"],
        fontsize=9,
        ha="center",
    )
    ax.text(-1.05, yh, "=", fontsize=20, ha="center", va="center")
    draw_sequence_graph([True] * T, [True] * T, ax=ax)
    _finish(ax, fx - 0.6, 1.3 * T + 0.6, title)
    return ax


# The four classic input/output patterns, as (inputs, outputs) masks over the drawn steps.
IO_PATTERNS = {
    "one-to-many": ([True, False, False, False], [True, True, True, True]),
    "many-to-one": ([True, True, True, True], [False, False, False, True]),
    "many-to-many (aligned)": ([True, True, True, True], [True, True, True, True]),
    "many-to-many (encoder-decoder)": (
        [True, True, True, False, False, False],
        [False, False, False, True, True, True],
    ),
}


def draw_io_patterns(axes=None):
    """Draw the four input/output patterns of recurrent networks side by side.

    Parameters
    ----------
    axes : sequence of 4 matplotlib Axes (a new 2 x 2 figure is made if None)

    Returns
    -------
    axes : the Axes drawn into, in the order of ``IO_PATTERNS``
    """
    if axes is None:
        fig, grid = plt.subplots(2, 2, figsize=(12, 6.2))
        axes = list(grid.ravel())
        fig.suptitle(
            "Input/output patterns of a recurrent network (time runs left to right)"
        )
    axes = list(axes)
    if len(axes) != len(IO_PATTERNS):
        raise ValueError(f"expected {len(IO_PATTERNS)} axes, got {len(axes)}")
    for ax, (name, (ins, outs)) in zip(axes, IO_PATTERNS.items()):
        draw_sequence_graph(ins, outs, ax=ax, title=name, weight_labels=False)
        # Keep the panels on one scale so that the boxes have the same size everywhere.
        ax.set_xlim(-0.5, 1.3 * 6 + 0.6)
    return axes
