"""Figures drawn by code, and the book's plotting style.

``use_book_style()`` is called once at the top of every notebook that plots: figures are then
rendered as SVG (sharp at any zoom, on any screen) with fonts that stay legible on a phone.
``rnnbook.plotting.diagrams`` draws the unrolled recurrent graph and the input/output patterns.
"""

from __future__ import annotations

from rnnbook.plotting.diagrams import draw_io_patterns, draw_unrolled_rnn

__all__ = ["draw_io_patterns", "draw_unrolled_rnn", "use_book_style"]

# Font sizes in points for a figure at most 7 inches wide: on a 390 px phone screen such a
# figure is shown at about 55 dots per inch, where 11 pt stays readable.
_BOOK_RC = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.fonttype": "path",
}


def use_book_style(svg: bool = True) -> None:
    """Apply the book's matplotlib settings; in a notebook also switch inline output to SVG.

    Outside IPython (a script, a test) only the matplotlib settings change.
    """
    import matplotlib as mpl

    mpl.rcParams.update(_BOOK_RC)
    if not svg:
        return
    try:
        from IPython import get_ipython
    except ImportError:
        return
    if get_ipython() is None:
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg")
