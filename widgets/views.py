"""Pure plotting functions: a :class:`~pinnkit_widgets.live.Snapshot` (or curves) in,
HoloViews elements out. The dashboard wires them to ``Pipe`` streams; tests call them
directly.

Orientation: for an ``("x", "t")`` problem heat maps show t across and x up, like
:func:`pinnkit.diagnostics.plot_fields`.
"""
from __future__ import annotations

import math

import holoviews as hv
import numpy as np

__all__ = ["field_view", "fields_row", "curves_view", "status_text", "error_thumbnail", "sweep_view", "note_view",
           "step_heatmap_view", "histograms_view", "spectrum_view", "ntk_view"]

_TERM_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _log_limits(values, floor=1e-12):
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x) and x > 0])
    if v.size == 0:
        return (1e-3, 1.0)
    lo, hi = max(v.min(), floor), max(v.max(), floor * 10)
    # a value on a whole decade (a constant weight of 1) lies inside the frame, not on its edge
    return (10 ** math.floor(math.log10(lo) - 1e-9), 10 ** math.ceil(math.log10(hi) + 1e-9))


def _log_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Tick positions for a log axis over ``[lo, hi]``: 1-2-5 steps when it spans at most
    two decades, else whole decades, every k-th one so that at most ``most`` are labelled
    (the default log ticker labels every mantissa of a short range, and they overlap)."""
    a, b = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    if b - a <= 2:
        ticks = [m * 10.0**e for e in range(a, b + 1) for m in (1, 2, 5)]
        return [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
    k = max(1, math.ceil((b - a + 1) / most))
    return [10.0**e for e in range(a, b + 1) if (e - a) % k == 0]


def _log_axis(values, axis: str = "y") -> dict:
    """``ylim`` and ``yticks`` (or x) options for a log axis that shows ``values``."""
    lim = _log_limits(values)
    return {f"{axis}lim": lim, f"{axis}ticks": _log_ticks(*lim)}


def field_view(grid, values, label: str, names, *, log: bool = False, points=None, clim=None,
               width: int = 300, height: int = 220, cmap: str | None = None):
    """Heat map over the two coordinates (second one across), or a curve for 1D problems.

    ``values``: ``(N,)`` on ``grid`` (a :class:`~pinnkit_widgets.live.Grid`);
    ``points``: optional ``(M, d)`` collocation points drawn on top.
    """
    if values is None:
        return hv.Text(0, 0, f"{label}: no reference").opts(width=width, height=height, title=label)
    z = np.asarray(values, float).reshape(grid.shape)
    if len(grid.shape) == 1:
        x = grid.axes[0]
        y = np.maximum(z, 1e-16) if log else z
        el = hv.Curve((x, y), names[0], label).opts(logy=log, width=width, height=height, title=label,
                                                     framewise=True, line_width=1.5,
                                                     **(_log_axis(y) if log else {"ylim": (None, None)}))
        if points is not None and len(points):
            base = _log_limits(y)[0] if log else float(np.nanmin(y))
            el = el * hv.Scatter((points[:, 0], np.full(len(points), base)), names[0], label).opts(
                color="black", size=3, alpha=0.5)
        return el
    if len(grid.shape) != 2:
        return hv.Text(0, 0, f"{label}: {len(grid.shape)}D field not shown").opts(width=width, height=height)
    a0, a1 = grid.axes[0], grid.axes[1]
    if log:
        z = np.log10(np.maximum(z, 1e-12))
        label_z = f"log10 {label}"
    else:
        label_z = label
    img = hv.Image((a1, a0, z), [names[1], names[0]], label_z).opts(
        cmap=cmap or ("viridis" if log else "RdBu_r"), colorbar=True, width=width, height=height,
        title=label, framewise=True, tools=["hover"], clim=clim if clim is not None else (np.nan, np.nan),
        # the colour bar names the quantity only: the title names the run ("fix it: causal ε = 10:
        # prediction" as a colour-bar label is taller than the plot and runs into the next one)
        clabel=("log10 " if log else "") + label.rsplit(": ", 1)[-1])
    if points is not None and len(points):
        img = img * hv.Points((points[:, 1], points[:, 0]), [names[1], names[0]]).opts(
            color="white", line_color="black", size=3, alpha=0.6)
    return img


def fields_row(snap, grid, names, *, reference: bool = True, points: bool = True, width: int = 300, clim=None):
    """prediction (with the reference dashed for 1D) | reference | |error| | |residual| with points."""
    pred = field_view(grid, snap.pred, "prediction", names, width=width, clim=clim)
    if len(grid.shape) == 1 and grid.ref is not None:
        pred = pred * hv.Curve((grid.axes[0], grid.ref), names[0], "prediction", label="reference").opts(
            line_dash="dashed", color="black")
    panels = [pred]
    if reference and len(grid.shape) == 2 and grid.ref is not None:
        panels.append(field_view(grid, grid.ref, "reference", names, width=width, clim=clim))
    panels.append(field_view(grid, snap.error, "|error|", names, log=True, width=width))
    panels.append(field_view(grid, snap.residual, "|residual|", names, log=True, width=width,
                             points=snap.points if points else None))
    return hv.Layout(panels).cols(len(panels)).opts(shared_axes=False)


def curves_view(curves: dict, title: str, *, logy: bool | None = True, width: int = 330, height: int = 230,
                ylabel: str = "", dash: str = "solid", colors=None, names=()):
    """One curve per named term: ``curves = {term: (steps, values)}``; ``names`` are drawn
    even before they have data (a live plot keeps a fixed set of curves and legend
    entries). ``logy=None``: log scale only when the values span more than a decade."""
    colors = colors or {}
    curves = {**{n: (np.zeros(0), np.zeros(0)) for n in names}, **curves}
    if logy is None:
        v = np.concatenate([np.asarray(v, float) for _, v in curves.values()] or [np.ones(1)])
        v = v[np.isfinite(v) & (v > 0)]
        logy = bool(v.size and v.max() > 10 * v.min())
    elements = []
    allv = []
    for i, (name, (s, v)) in enumerate(curves.items()):
        v = np.asarray(v, float)
        if logy:
            v = np.where(v > 0, v, np.nan)
        allv.append(v)
        elements.append(hv.Curve((s, v), "step", ylabel or "value", label=name).opts(
            color=colors.get(name, _TERM_COLORS[i % len(_TERM_COLORS)]), line_dash=dash, line_width=1.5,
            framewise=True))
    if not elements:
        elements = [hv.Curve(([0], [1.0]), "step", ylabel or "value").opts(alpha=0, framewise=True)]
    if logy:
        axis = _log_axis(np.concatenate(allv) if allv else [1.0])
    else:
        v = np.concatenate(allv) if allv else np.ones(1)
        v = v[np.isfinite(v)]
        lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
        pad = 0.1 * (hi - lo) if hi > lo else max(0.5, 0.1 * abs(hi))
        axis = {"ylim": (lo - pad, hi + pad)}
    return hv.Overlay(elements).opts(title=title, logy=logy, width=width, height=height, framewise=True,
                                     legend_position="top_right", show_legend=True, **axis)


def status_text(problem, progress: dict, snap, history=None, label: str = "") -> str:
    """A Markdown line: step / total, steps/s, ETA, current relative L2, run status."""
    label = label.strip() or problem.name  # "**heat **" (a space before the closing **) is not bold
    parts = [f"**{label}** step {progress['step']} / {progress['total']}",
             f"{progress['steps_per_s']:.1f} steps/s", f"ETA {progress['eta']:.0f} s"]
    if snap is not None and snap.rel_l2 is not None:
        parts.append(f"rel L2 (coarse grid) {snap.rel_l2:.3e}")
    if history is not None and history.status != "running":
        final = history.final.get("metric/rel_l2")
        parts.append(f"status: {history.status}" + (f", final rel L2 {final:.3e}" if final is not None else ""))
    return " · ".join(parts)


def error_thumbnail(grid, error, names, title: str, width: int = 170, height: int = 130):
    """A small |error| map (log colour) for the parameter explorer."""
    return field_view(grid, error, "|error|", names, log=True, width=width, height=height).opts(
        title=title, colorbar=False, toolbar=None, xaxis=None, yaxis=None) if len(grid.shape) == 2 else \
        field_view(grid, error, "|error|", names, log=True, width=width, height=height).opts(title=title, toolbar=None)


def sweep_view(parameter: str, values, errors, width: int = 420, height: int = 260, logx: bool = False):
    """Final relative L2 error against the swept parameter (log y)."""
    pts = [(v, e) for v, e in zip(values, errors) if e is not None and np.isfinite(e)]
    if not pts:
        pts = [(values[0] if len(values) else 0.0, np.nan)]
    xs, ys = zip(*pts)
    curve = hv.Curve((xs, ys), parameter, "relative L2")
    return (curve * hv.Scatter((xs, ys), parameter, "relative L2").opts(size=8, color="#d62728")).opts(
        hv.opts.Curve(logy=True, logx=logx, width=width, height=height, framewise=True,
                      title=f"error vs {parameter}", **_log_axis(ys)))


# ----------------------------------------------------------------------------- diagnostics
def note_view(title: str, text: str, width: int = 330, height: int = 230):
    """An empty panel with a title and a line of text (a diagnostic that does not apply)."""
    return hv.Text(0.5, 0.5, text, fontsize=9).opts(width=width, height=height, title=title, xaxis=None,
                                                     yaxis=None, toolbar=None, xlim=(0, 1), ylim=(0, 1))


def _edges(c):
    c = np.asarray(c, float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def step_heatmap_view(steps, t, values, title: str, zlabel: str, *, log: bool = True, xlabel: str = "t",
                      clim=None, cmap: str = "magma", width: int = 330, height: int = 230):
    """``values (S, n_t)`` over training: ``t`` across, training step up (rows at the
    snapshots' steps, which need not be evenly spaced). ``log``: log10 colour."""
    z = np.asarray(values, float)
    if log:
        pos = z[np.isfinite(z) & (z > 0)]
        floor = max(pos.min(), pos.max() * 1e-10) if pos.size else 1e-12
        z = np.log10(np.maximum(z, floor))
        zlabel = f"log10 {zlabel}"
    el = hv.QuadMesh((_edges(t), _edges(steps), z), [xlabel, "step"], zlabel)
    return el.opts(cmap=cmap, colorbar=True, width=width, height=height, title=title, framewise=True,
                   tools=["hover"], clim=clim if clim is not None else (np.nan, np.nan))


def histograms_view(hists: dict, title: str, *, width: int = 330, height: int = 230, colors=None, names=()):
    """Per-term histograms ``{term: (counts (bins,), edges (bins+1,))}`` as step curves
    (log density; empty bins left out). ``names`` are drawn (empty) before they have data."""
    colors = colors or {}
    els, allv = [], []
    hists = {**{n: (np.zeros(0), np.zeros(1)) for n in names}, **hists}
    for i, (name, (counts, edges)) in enumerate(hists.items()):
        c = np.asarray(counts, float)
        centres = (np.asarray(edges)[1:] + np.asarray(edges)[:-1]) / 2
        c = np.where(c > 0, c, np.nan)
        allv.append(c)
        els.append(hv.Curve((centres, c), "∂L/∂θ entry", "density", label=name).opts(
            interpolation="steps-mid", color=colors.get(name, _TERM_COLORS[i % len(_TERM_COLORS)]), line_width=1.5,
            framewise=True))
    if not els:
        return note_view(title, "no gradients yet", width, height)
    return hv.Overlay(els).opts(title=title, logy=True, width=width, height=height, framewise=True,
                                legend_position="top_right", **_log_axis(np.concatenate(allv)))


def spectrum_view(spectrum, title: str, *, width: int = 330, height: int = 230):
    """Error amplitude against wavenumber (log y; the mean mode left out) from a
    :class:`pinnkit.diagnostics.ErrorSpectrum`."""
    a = spectrum.amplitude if spectrum.amplitude.ndim == 1 else np.sqrt((spectrum.amplitude**2).mean(1))
    k, a = spectrum.wavenumber[1:], np.maximum(a[1:], 1e-16)
    return hv.Curve((k, a), "wavenumber k", "|error| amplitude").opts(
        logy=True, width=width, height=height, title=title, framewise=True, line_width=1.5, tools=["hover"],
        **_log_axis(a)) * hv.Scatter((k, a), "wavenumber k", "|error| amplitude").opts(size=3, color="#d62728")


def ntk_view(spectra: dict, title: str, *, width: int = 330, height: int = 230, names=()):
    """Eigenvalues of each term's kernel ``K_j`` in decreasing order (log–log); ``names``
    are drawn (empty) before they have data."""
    els, allv = [], [np.ones(1)]
    spectra = {**{n: np.zeros(0) for n in names}, **spectra}
    for i, (name, ev) in enumerate(spectra.items()):
        ev = np.asarray(ev, float)
        ev = np.where(ev > 0, ev, np.nan)
        allv.append(ev)
        els.append(hv.Curve((np.arange(1, ev.size + 1), ev), "index", "eigenvalue", label=name).opts(
            color=_TERM_COLORS[i % len(_TERM_COLORS)], line_width=1.5, framewise=True))
    n = max([1] + [np.size(ev) for ev in spectra.values()])
    return hv.Overlay(els).opts(title=title, logx=True, logy=True, width=width, height=height, framewise=True,
                                legend_position="top_right", xlim=(1, max(n, 2)), xticks=_log_ticks(1, max(n, 10)),
                                **_log_axis(np.concatenate(allv)))


def singular_values_view(svs: dict, title: str, *, width: int = 330, height: int = 230):
    """Normalised singular values σ_k/σ_1 of snapshot matrices (one curve per field, log y):
    how fast they fall is the field's Kolmogorov n-width, what a transport problem makes
    slow (:func:`pinnkit.diagnostics.transport.snapshot_singular_values`)."""
    els, allv = [], []
    for i, (name, sv) in enumerate(svs.items()):
        sv = np.maximum(np.asarray(sv, float), 1e-16)
        allv.append(sv)
        els.append(hv.Curve((np.arange(1, sv.size + 1), sv), "k", "σ_k / σ_1", label=name).opts(
            color=_TERM_COLORS[i % len(_TERM_COLORS)], line_width=1.5, framewise=True,
            line_dash="solid" if i == 0 else "dashed"))
    return hv.Overlay(els).opts(title=title, logy=True, width=width, height=height, framewise=True,
                                legend_position="top_right", **_log_axis(np.concatenate(allv)))
