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


def _fig(gain=1.0, kind="a"):
    fig, ax = plotting.figure()
    ax.plot([0, 1], [0, gain])
    ax.set_title(kind)
    return fig


def test_explore_shows_the_static_figure_outside_a_kernel(monkeypatch):
    shown, calls = [], []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))

    def fn(**kw):
        calls.append(kw)
        return _fig(**kw)

    assert plotting.explore(fn, gain=(0.5, 3.0, 0.1, 1.5), kind=["a", "b"]) is None
    assert calls == [{"gain": 1.5, "kind": "a"}]
    assert len(shown) == 1 and shown[0].data[:4] == b"\x89PNG"


def test_explore_adds_controls_that_redraw_in_a_live_kernel(monkeypatch):
    shown, calls = [], []
    monkeypatch.setattr(plotting, "_interactive_session", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))

    def fn(**kw):
        calls.append(kw)
        return _fig(**kw)

    made = plotting.explore(fn, gain=(0.5, 3.0, 0.1, 1.5), kind=["a", "b"])
    assert set(made) == {"gain", "kind"} and made["gain"].value == 1.5
    made["gain"].value = 2.0
    made["kind"].value = "b"
    assert calls[0] == {"gain": 1.5, "kind": "a"}
    assert calls[-1] == {"gain": 2.0, "kind": "b"} and len(calls) == 3


def test_interactive_session_is_off_when_told(monkeypatch):
    monkeypatch.setenv("RNNMATH_INTERACTIVE", "0")
    assert plotting._interactive_session() is False


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"gain": (0.5, 3.0, 0.1, 5.0)}, ValueError, "gain: default"),
    ({"gain": (3.0, 0.5, 0.1, 1.0)}, ValueError, "gain: min must be < max"),
    ({"gain": (0.5, 3.0, 0.0, 1.0)}, ValueError, "gain: step must lie"),
    ({"gain": (0.5, 3.0, 0.1, float("nan"))}, ValueError, "gain: .* must be finite"),
    ({"gain": (0.5, 3.0, 0.1)}, TypeError, "gain: a control is"),
    ({"gain": (0.5, 3.0, 0.1, "1")}, TypeError, "gain: .* must be real numbers"),
    ({"kind": ["a", "a"]}, ValueError, "kind: choices must be distinct"),
    ({}, ValueError, "controls: give at least one"),
])
def test_explore_rejects_bad_controls(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        plotting.explore(_fig, **kwargs)


def test_explore_rejects_a_non_callable():
    with pytest.raises(TypeError, match="figure_fn: must be callable"):
        plotting.explore("not a function", gain=(0.5, 3.0, 0.1, 1.5))
