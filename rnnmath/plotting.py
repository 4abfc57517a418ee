"""The book's figure style: one place for sizes, fonts and colours.

The palette is Okabe & Ito's colour-blind-safe set.  Chapters call
:func:`use_book_style` once, then plot with matplotlib as usual.
:func:`explore` adds sliders to a figure in JupyterLab and shows the static figure
everywhere else (the rendered book, nbval, CI).
"""
from __future__ import annotations

__all__ = ["PALETTE", "use_book_style", "figure", "show", "preset_caption", "explore"]

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


def _control(name: str, spec):
    """Validate one control of :func:`explore`; return ('slider', lo, hi, step, default) or ('choice', options)."""
    import math

    if isinstance(spec, (list, tuple)) and spec and all(isinstance(o, str) for o in spec):
        if len(set(spec)) != len(spec):
            raise ValueError(f"{name}: choices must be distinct, got {list(spec)!r}")
        return ("choice", list(spec))
    if not (isinstance(spec, tuple) and len(spec) == 4):
        raise TypeError(f"{name}: a control is (min, max, step, default) or a list of choices, got {spec!r}")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in spec):
        raise TypeError(f"{name}: (min, max, step, default) must be real numbers, got {spec!r}")
    lo, hi, step, default = spec
    if not all(math.isfinite(v) for v in spec):
        raise ValueError(f"{name}: (min, max, step, default) must be finite, got {spec!r}")
    if not lo < hi:
        raise ValueError(f"{name}: min must be < max, got min = {lo!r}, max = {hi!r}")
    if not 0 < step <= hi - lo:
        raise ValueError(f"{name}: step must lie in (0, max - min], got {step!r}")
    if not lo <= default <= hi:
        raise ValueError(f"{name}: default {default!r} must lie in [min, max] = [{lo!r}, {hi!r}]")
    return ("slider", lo, hi, step, default)


def _interactive_session() -> bool:
    """True in a live Jupyter kernel with ipywidgets, unless ``RNNMATH_INTERACTIVE=0``."""
    import os

    if os.environ.get("RNNMATH_INTERACTIVE", "1").strip() == "0":
        return False
    try:
        from IPython import get_ipython
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def explore(figure_fn, **controls):
    """Show ``figure_fn(**defaults)``; in JupyterLab also add controls that redraw it.

    Parameters
    ----------
    figure_fn : callable
        ``figure_fn(**values) -> matplotlib.figure.Figure``; called once with the
        defaults, and again on every change of a control.
    **controls
        ``name=(min, max, step, default)`` for a slider (an integer slider when all
        four are ints), or ``name=["a", "b", ...]`` for a drop-down whose default is
        the first choice.

    Returns
    -------
    dict or None
        The widgets by name in a live kernel with ipywidgets (and
        ``RNNMATH_INTERACTIVE`` not ``0``); ``None`` where only the static figure
        was shown (the book build sets ``RNNMATH_INTERACTIVE=0``, so the HTML holds
        the figure at the defaults).
    """
    if not callable(figure_fn):
        raise TypeError(f"figure_fn: must be callable, got {type(figure_fn).__name__}")
    if not controls:
        raise ValueError("controls: give at least one control, e.g. gain=(0.5, 3.0, 0.1, 1.5)")
    specs = {name: _control(name, spec) for name, spec in controls.items()}
    defaults = {name: (s[4] if s[0] == "slider" else s[1][0]) for name, s in specs.items()}
    if not _interactive_session():
        show(figure_fn(**defaults))
        return None
    import ipywidgets as widgets
    from IPython.display import display

    made = {}
    for name, s in specs.items():
        if s[0] == "choice":
            made[name] = widgets.Dropdown(options=s[1], value=s[1][0], description=name)
        elif all(isinstance(v, int) for v in s[1:]):
            made[name] = widgets.IntSlider(min=s[1], max=s[2], step=s[3], value=s[4], description=name,
                                           continuous_update=False)
        else:
            made[name] = widgets.FloatSlider(min=s[1], max=s[2], step=s[3], value=s[4], description=name,
                                             continuous_update=False)
    out = widgets.Output()

    def redraw(_change=None):
        with out:
            out.clear_output(wait=True)
            show(figure_fn(**{k: w.value for k, w in made.items()}))

    for w in made.values():
        w.observe(redraw, names="value")
    display(widgets.VBox([widgets.HBox(list(made.values())), out]))
    redraw()
    return made
