"""The figure style and the figure display helper."""
import matplotlib
import pytest

from rnnmath import plotting


def test_style_and_figure(monkeypatch):
    fig, axes = plotting.figure(ncols=2)
    assert len(axes) == 2
    assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][:3] == plotting.PALETTE[:3]
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    plotting.show(fig)
    assert len(shown) == 1 and shown[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.pyplot as plt
    assert not plt.fignum_exists(fig.number)


def test_preset_caption_names_preset(monkeypatch):
    monkeypatch.setenv("RNNMATH_SCALE", "quick")
    assert "'quick' preset" in plotting.preset_caption("Figure 1.")
