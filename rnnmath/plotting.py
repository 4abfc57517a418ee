"""The book's figure style: one place for sizes, fonts and colours.

The palette is Okabe & Ito's colour-blind-safe set.  Chapters call
:func:`use_book_style` once, then plot with matplotlib as usual.
"""
from __future__ import annotations

__all__ = ["PALETTE", "use_book_style", "figure", "show", "preset_caption"]

#: Okabe–Ito colour-blind-safe palette (black omitted as a cycle colour).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


def use_book_style() -> None:
    """Set matplotlib defaults used by every figure of the book."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "font.size": 10,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.prop_cycle": cycler(color=PALETTE),
            "image.cmap": "viridis",
            "lines.linewidth": 1.6,
        }
    )


def figure(ncols: int = 1, nrows: int = 1, width: float = 6.4, height: float = 3.4, **kwargs):
    """``plt.subplots`` with the book's style and a layout that fits the page."""
    import matplotlib.pyplot as plt

    for value, name in ((ncols, "ncols"), (nrows, "nrows")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name}: must be a positive integer, got {value!r}")
    for value, name in ((width, "width"), (height, "height")):
        if not (isinstance(value, (int, float)) and 0 < value < 1e3):
            raise ValueError(f"{name}: must be a positive size in inches, got {value!r}")
    use_book_style()
    return plt.subplots(nrows, ncols, figsize=(width, height), constrained_layout=True, **kwargs)


def preset_caption(text: str = "") -> str:
    """A caption suffix naming the preset and device that produced a figure."""
    from .device import get_device, get_scale

    tail = f"(computed with the '{get_scale()}' preset on {get_device().type.upper()})"
    return f"{text} {tail}".strip()


def show(fig) -> None:
    """Display ``fig`` once as a PNG and close it, whatever the matplotlib backend.

    In a notebook the inline backend would show an open figure at the end of the
    cell; rendering it explicitly makes the output independent of ``MPLBACKEND``
    and places the figure where the call is.
    """
    import io

    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    display(Image(data=buf.getvalue()))
