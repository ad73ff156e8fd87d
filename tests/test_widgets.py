"""Headless tests of the widget bindings: set widget values, trigger callbacks, check
what was recomputed. Real pages are tested in tests/test_browser.py."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

pytest.importorskip("panel")
pytest.importorskip("holoviews")

from pinnkit import zoo  # noqa: E402
from pinnkit.balancing import BALANCERS  # noqa: E402
from pinnkit.recipes import RunConfig  # noqa: E402
from pinnkit.sampling import SAMPLERS  # noqa: E402
from pinnkit_widgets import Compare, Dashboard, Explorer, LiveRun, inline_resources, live_frontend  # noqa: E402
from pinnkit_widgets.controls import usable_balancers  # noqa: E402

TINY = dict(num_points=200, condition_points=50, width=16, depth=2, eval_every=5)


@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_parameter_slider_rebuilds_problem_and_reference():
    dash = Dashboard("convection", live=False, steps=5, **TINY)
    dash.controls.parameters["beta"].widget.value = 12.0
    assert dash.problem.values["beta"] == 12.0
    want = zoo.get("convection", beta=12.0).reference_on(dash.run.grid.x)[:, 0]
    np.testing.assert_allclose(dash.run.grid.ref, want)
    assert dash.controls.config().parameters == {"beta": 12.0}
    assert "beta = 12" in dash.status.object


def test_log_slider_holds_log10_of_the_value():
    dash = Dashboard("burgers", live=False, steps=5, **TINY)
    slider = dash.controls.parameters["nu"]
    assert slider.parameter.log
    slider.widget.value = -2.0
    assert dash.problem.values["nu"] == pytest.approx(0.01)
    slider.value = 0.05
    assert slider.widget.value == pytest.approx(np.log10(0.05))
    assert dash.problem.values["nu"] == pytest.approx(0.05)


def test_choices_come_from_the_registries_and_read_back_as_config():
    dash = Dashboard("burgers", live=False, steps=5, **TINY)
    c = dash.controls
    assert c.sampler.options == list(SAMPLERS)
    assert set(c.balancer.options) == set(usable_balancers()) and set(c.balancer.options) <= set(BALANCERS)
    c.width.value, c.depth.value, c.activation.value = 24, 3, "sin"
    c.sampler.value, c.num_points.value, c.balancer.value = "lhs", 700, c.balancer.options[-1]
    c.steps.value, c.seed.value, c.dtype.value, c.hard.value = 17, 3, "float64", True
    c.optimizer.value = "lbfgs"   # switches the learning rate to 1
    cfg = c.config()
    assert (cfg.width, cfg.depth, cfg.activation, cfg.sampler, cfg.num_points) == (24, 3, "sin", "lhs", 700)
    assert (cfg.steps, cfg.seed, cfg.dtype, cfg.hard, cfg.optimizer, cfg.lr) == (17, 3, "float64", True, "lbfgs", 1.0)
    assert cfg.balancer == c.balancer.options[-1]
    # untrained preview follows the settings: hard constraints remove the condition terms
    dash.reset()
    assert dash.run.config == cfg


def test_headless_train_runs_to_the_end_and_leaves_a_final_view():
    dash = Dashboard("burgers", live=False, steps=12, **TINY)
    dash.train()
    h = dash.history
    assert h.status == "completed" and h.final["step"] == 12
    assert dash.shown.step == 12 and dash.replay.value == len(dash.run.snapshots) - 1
    assert "relative L2" in dash.message.object
    losses = dash.run.curves("loss/")
    assert set(losses) == {"residual", "initial", "left", "right"}
    np.testing.assert_array_equal(losses["residual"][1], h.where("loss/residual")[1])
    # every snapshot's gradient norms are finite and keyed like the terms
    assert set(dash.shown.grad_norms) == set(losses)
    assert all(np.isfinite(v) and v > 0 for v in dash.shown.grad_norms.values())
    assert not dash.train_button.disabled and dash.stop_button.disabled
    # every live view renders from the final state (as a front end would ask for it)
    import holoviews as hv

    for pane in list(dash.field_panes.values()) + list(dash.curve_panes.values()):
        el = pane.object[()]
        hv.renderer("bokeh").get_plot(el)
    losses_el = dash.curve_panes["losses"].object[()]
    assert sorted(c.label for c in losses_el) == sorted(losses)


def test_train_then_stop_stops_at_the_next_step_and_history_stops_growing():
    dash = Dashboard("burgers", live=True, steps=100_000, **TINY)
    dash.train()               # a thread: returns at once
    run = dash.run
    assert run.running and dash.stop_button.disabled is False
    deadline = time.time() + 60
    while run.progress()["step"] < 3 and time.time() < deadline:
        time.sleep(0.02)
    at_stop = run.progress()["step"]
    dash.stop_button.clicks += 1            # what the Stop button does
    run.thread.join(30)
    assert not run.running
    assert run.history.status == "stopped" and run.history.message == "stopped by user"
    assert run.history.final["step"] <= at_stop + 1
    n = len(run.history.rows)
    time.sleep(0.3)
    assert len(run.history.rows) == n
    assert run.stop_latency is not None and run.stop_latency >= 0
    dash.refresh()
    assert "stopped" in dash.message.object and not dash.train_button.disabled


def test_pause_holds_the_step_until_resume():
    run = LiveRun(RunConfig(problem="oscillator", steps=100_000, **TINY))
    run.start()
    while run.progress()["step"] < 2:
        time.sleep(0.01)
    run.pause()
    time.sleep(0.2)
    held = run.progress()["step"]
    time.sleep(0.3)
    assert run.progress()["step"] == held
    run.resume()
    while run.progress()["step"] <= held + 1:
        time.sleep(0.01)
    run.stop()
    run.join(30)
    assert run.history.status == "stopped"


def test_replay_slider_shows_the_snapshot_of_that_step():
    dash = Dashboard("burgers", live=False, steps=8, max_rate=1e9, budget=None, **TINY)
    dash.train()
    snaps = dash.run.snapshots
    assert [s.step for s in snaps] == list(range(9))       # throttle off: one per step
    dash.replay.value = 3
    assert dash.shown is snaps[3]
    pred = dash.field_panes["prediction"].object[()]       # evaluate the live view
    np.testing.assert_allclose(np.asarray(pred.data[pred.vdims[0].name]).ravel(),
                               snaps[3].pred.reshape(dash.run.grid.shape).ravel())
    assert "step 3" in dash.replay.label
    dash.replay.value = len(snaps) - 1                     # back to the end: follow again
    assert dash.shown is snaps[-1]


def test_throttle_limits_snapshots():
    run = LiveRun(RunConfig(problem="oscillator", steps=30, **TINY), max_rate=1e-6).run()
    assert [s.step for s in run.snapshots] == [0, 30]       # begin and end only
    with pytest.raises(ValueError):
        LiveRun(RunConfig(problem="oscillator", steps=3, **TINY), budget=0)


def test_explorer_cache_hit_returns_without_training(tmp_path, monkeypatch):
    base = RunConfig(problem="convection", steps=6, **TINY)
    ex = Explorer(base, "beta", [1, 20], cache_dir=tmp_path, live=False)
    ex.sweep()
    assert ex.trained == 2 and sorted(ex.results) == [1.0, 20.0]
    first = {v: r.rel_l2 for v, r in ex.results.items()}
    assert all(r.source == "trained" and r.error.shape == (np.prod(ex.grid.shape),) for r in ex.results.values())

    def no_training(self):
        raise AssertionError("a cached value was trained again")

    monkeypatch.setattr(LiveRun, "run", no_training)
    ex.sweep()                                              # same explorer: memory
    assert ex.trained == 2 and {r.source for r in ex.results.values()} == {"memory"}
    again = Explorer(base, "beta", [20, 1], cache_dir=tmp_path, live=False).sweep()   # new session: disk
    assert again.trained == 0 and {r.source for r in again.results.values()} == {"disk"}
    assert {v: r.rel_l2 for v, r in again.results.items()} == first
    assert "2 from the cache" in again.status.object


def test_explorer_last_redraw_shows_a_result_stored_as_the_sweep_ends(tmp_path):
    """The sweep thread can store its last result and end between two reads of a periodic
    redraw. The redraw that sees the thread dead must show every result: the page gets no
    further redraw after it (this once left a served sweep at '2 result(s)')."""
    ex = Explorer(RunConfig(problem="convection", steps=4, **TINY), "beta", [1, 20, 40],
                  cache_dir=tmp_path, live=False).sweep()
    last = ex.results.pop(40.0)

    class EndsWhenAsked:                   # the thread stores 40 and ends at the liveness check
        def is_alive(self):
            ex.results[40.0] = last
            return False

    ex.thread, ex._drawn = EndsWhenAsked(), None
    ex.sweep_button.disabled = True
    ex.refresh()
    assert ex.status.object.startswith("3 result(s): 3 trained"), ex.status.object
    assert [v for v, _ in ex._drawn] == [1.0, 20.0, 40.0]
    assert len(ex.thumbs.objects) == 3 and not ex.sweep_button.disabled


def test_explorer_values_are_parsed_as_numbers_never_evaluated(tmp_path):
    ex = Explorer(RunConfig(problem="convection", steps=2, **TINY), "beta", [1], cache_dir=tmp_path, live=False)
    ex.values.value = "1, 2.5e1 ; 40"
    assert ex.parse_values() == [1.0, 25.0, 40.0]
    ex.values.value = "__import__('os').getcwd()"
    with pytest.raises(ValueError, match="not a number"):
        ex.parse_values()
    ex.sweep()                                              # shows the problem instead of running
    assert ex.trained == 0 and "not a number" in ex.status.object
    with pytest.raises(ValueError, match="no parameter"):
        Explorer(RunConfig(problem="convection"), "nu", cache_dir=tmp_path, live=False)


def test_compare_trains_both_sides_on_the_same_problem():
    base = RunConfig(problem="convection", parameters={"beta": 5.0}, steps=6, **TINY)
    cmp = Compare(base, a={}, b={"hard": True}, live=False)
    cmp.shared.parameters["beta"].widget.value = 7.0
    cmp.train()
    a, b = cmp.runs
    assert a.problem.values == b.problem.values == {"beta": 7.0}
    assert (a.config.hard, b.config.hard) == (False, True)
    final = cmp.final()
    assert [f["rel_l2"] for f in final] == [a.history.final["metric/rel_l2"], b.history.final["metric/rel_l2"]]
    assert "hard=True" in cmp.table.object and "hard=False" in cmp.table.object
    assert "loss/initial" in a.history.final
    assert "loss/initial" not in b.history.final     # hard constraints: no initial-condition term


def test_front_end_detection_and_inline_switch(monkeypatch):
    monkeypatch.delenv("PINNKIT_LIVE", raising=False)
    assert live_frontend() is False                          # pytest: nobody watches
    monkeypatch.setenv("PINNKIT_LIVE", "1")
    assert live_frontend() is True
    monkeypatch.delenv("PINNKIT_INLINE", raising=False)
    assert inline_resources() is True                        # offline-safe by default
    monkeypatch.setenv("PINNKIT_INLINE", "0")
    assert inline_resources() is False


# -- the Diagnostics tab -------------------------------------------------------------------
def _render(pane):
    import holoviews as hv

    el = pane.object[()]
    hv.renderer("bokeh").get_plot(el)
    return el


def test_temporal_profile_is_the_static_diagnostic_and_causal_weights_are_recorded():
    from pinnkit.diagnostics.temporal import temporal_residual_profile

    dash = Dashboard("convection", live=False, steps=20, causal=True, max_rate=1e9, budget=None, **TINY)
    dash.train()
    run = dash.run
    steps, t, prof = run.temporal_profiles()
    assert prof.shape == (len(run.snapshots), run.grid.shape[-1]) and list(steps) == list(range(21))
    t_static, prof_static = temporal_residual_profile(run.problem, run.model, run.grid.shape)
    np.testing.assert_allclose(t, t_static)
    np.testing.assert_allclose(prof[-1], prof_static, rtol=1e-10)
    assert not np.allclose(prof[0], prof[-1])                    # the profile moves with training
    mesh = _render(dash.diagnostic_panes["temporal"])             # the live view shows these numbers (log10)
    np.testing.assert_allclose(mesh.dimension_values(2, flat=False)[-1], np.log10(prof[-1]), rtol=1e-10)
    # causal weights: one row per snapshot (all ones before the first step), w_1 = 1, all in (0, 1]
    w_steps, centres, w = run.causal_weight_map()
    assert w.shape == (21, run.causal.num_slices) and list(w_steps) == list(range(21))
    assert np.all(w[0] == 1.0) and w[-1].min() < 1.0
    np.testing.assert_array_equal(w[-1], run.causal.weights)
    assert np.all(w[:, 0] == 1.0) and np.all((w > 0) & (w <= 1.0))
    np.testing.assert_allclose(centres, run.causal.slice_centers)
    assert dash.run.history.final["step"] == 20


def test_diagnostics_that_do_not_apply_say_why():
    dash = Dashboard("poisson1d", live=False, steps=3, causal=True, **TINY)
    assert dash.causal.disabled and dash.run.causal is None       # no time axis: no causal residual
    dash.train()
    assert dash.run.temporal_profiles() is None and dash.run.causal_weight_map() is None
    assert "not time-dependent" in _render(dash.diagnostic_panes["temporal"]).data[2]
    assert "not time-dependent" in _render(dash.diagnostic_panes["causal"]).data[2]
    off = Dashboard("convection", live=False, steps=3, **TINY)
    off.train()
    assert off.run.causal is None and "tick 'causal residual'" in _render(off.diagnostic_panes["causal"]).data[2]


def test_gradient_cosines_and_histograms_are_those_of_the_training_gradients():
    from pinnkit.losses import loss_terms

    dash = Dashboard("burgers", live=False, steps=10, **TINY)
    dash.train()
    run, snap = dash.run, dash.shown
    st = run._state                                               # the trainer's last state: its points
    terms = loss_terms(run.problem, run.model, st.points, st.params)
    params = [p for p in run.model.parameters() if p.requires_grad]
    g = {n: torch.cat([x.reshape(-1) for x in torch.autograd.grad(L, params, retain_graph=True)]).double().numpy()
         for n, L in terms.items()}
    names = list(g)
    assert set(snap.cosines) == {(a, b) for i, a in enumerate(names) for b in names[i + 1:]}
    for (a, b), c in snap.cosines.items():
        want = g[a] @ g[b] / (np.linalg.norm(g[a]) * np.linalg.norm(g[b]))
        assert -1.0 <= c <= 1.0 and c == pytest.approx(want, rel=1e-5, abs=1e-6)
    for n, norm in snap.grad_norms.items():
        assert norm == pytest.approx(np.linalg.norm(g[n]), rel=1e-5)
    curves = run.cosine_curves()
    assert set(curves) == {f"{a} · {b}" for a, b in snap.cosines}
    s, v = curves["residual · initial"]
    assert list(s) == [sn.step for sn in run.snapshots] and v[-1] == snap.cosines[("residual", "initial")]
    # histograms: densities over common edges that cover every entry
    for n, (counts, edges) in snap.histograms.items():
        assert counts.shape == (40,) and np.sum(counts * np.diff(edges)) == pytest.approx(1.0)
        assert edges[-1] == pytest.approx(max(np.abs(v).max() for v in g.values()), rel=1e-5)
    assert sorted(c.label for c in _render(dash.diagnostic_panes["cosines"])) == sorted(curves)
    spec = run.error_spectrum()
    e = (snap.pred - run.grid.ref).reshape(run.grid.shape)
    assert spec.amplitude.shape == (run.grid.shape[0] // 2 + 1,)
    assert spec.amplitude[0] == pytest.approx(np.sqrt(np.mean(e.mean(0) ** 2)))   # the mean mode over x


def test_ntk_button_fills_the_spectrum_on_demand():
    from pinnkit.diagnostics import ntk_spectra

    dash = Dashboard("convection", live=False, steps=6, **TINY)
    dash.train()
    assert dash.run.ntk is None and "On demand only" in dash.ntk_text.object
    el = _render(dash.diagnostic_panes["ntk"])
    assert "on demand" in el.opts.get().kwargs["title"] and all(len(c) == 0 for c in el)
    dash.ntk_button.clicks += 1                                   # what the button does
    ntk = dash.run.ntk
    assert ntk["step"] == 6 and ntk["points"] == {"residual": 64, "initial": 32, "periodic": 32}
    pts = dash.run._subset(dash.run._state.points, 64)
    want = ntk_spectra(dash.run.problem, dash.run.model, pts)
    for name, ev in ntk["spectra"].items():
        assert np.all(ev >= 0) and np.all(np.diff(ev) <= 1e-12 * ev[0])
        np.testing.assert_allclose(ev, want[name], rtol=1e-8, atol=1e-12 * ev[0])
    el = _render(dash.diagnostic_panes["ntk"])
    assert sorted(c.label for c in el) == ["initial", "periodic", "residual"]
    assert "step 6" in dash.ntk_text.object
    from pinnkit.diagnostics.conditioning import condition_number
    for name, ev in ntk["spectra"].items():                       # κ per term, as the diagnostics compute it
        assert f"{name} {condition_number(ev):.2g}" in dash.ntk_text.object


def test_ntk_requested_while_training_is_computed_off_the_training_thread():
    run = LiveRun(RunConfig(problem="convection", steps=100_000, **TINY))
    run.start()
    while run.progress()["step"] < 3:
        time.sleep(0.01)
    run.request_ntk(16, wait=True)
    assert run.running and run.ntk["step"] >= 3 and run.ntk["points"]["residual"] == 16
    assert run._ntk_thread.name == "pinnkit-ntk" and not run.ntk_busy
    run.stop()
    run.join(30)
    with pytest.raises(ValueError, match="points"):
        run.request_ntk(1)


def test_headless_dashboard_embeds_the_diagnostics_in_its_static_view():
    from bokeh.models import Title

    dash = Dashboard("convection", live=False, steps=4, **TINY)
    assert dash.tabs.dynamic is False                             # both tabs go into the saved output
    dash.train()
    root = dash.panel.get_root()
    titles = {m.text for m in root.references() if isinstance(m, Title)}
    for want in ("temporal residual L_r(t)", "cos(∇L_a, ∇L_b) per pair", "gradient entries per term (step 4)",
                 "error spectrum along x (step 4)", "loss per term"):
        assert want in titles, sorted(titles)


def test_diagnostic_views_keep_their_element_type_while_updating_and_across_problems():
    import holoviews as hv

    dash = Dashboard("convection", live=False, steps=6, causal=True, **TINY)
    plots = {k: hv.renderer("bokeh").get_plot(p.object) for k, p in dash.diagnostic_panes.items()}
    first = {k: type(p.current_frame) for k, p in plots.items()}
    dash.train()                                 # pushes through the Pipes, as the live callback does
    dash.compute_ntk()
    for k, p in plots.items():                   # a failed update would leave the first frame in place
        assert type(p.current_frame) is first[k], k
    assert "step 6" in plots["histograms"].current_frame.opts.get().kwargs["title"]
    assert "step 6" in plots["ntk"].current_frame.opts.get().kwargs["title"]
    assert plots["temporal"].current_frame.dimension_values(2, flat=False).shape == (len(dash.run.snapshots), 25)
    maps = {k: p.object for k, p in {**dash.diagnostic_panes, **dash.field_panes}.items()}
    dash.controls.problem.value = "poisson1d"     # 1D, no time axis: curves, and the time views become notes
    assert all(p.object is not maps[k] for k, p in {**dash.diagnostic_panes, **dash.field_panes}.items())
    assert "not time-dependent" in _render(dash.diagnostic_panes["temporal"]).data[2]
    for k in ("spectrum", "cosines", "histograms", "ntk"):
        _render(dash.diagnostic_panes[k])
    fields = {k: hv.renderer("bokeh").get_plot(p.object) for k, p in dash.field_panes.items()}
    kinds = {k: type(p.current_frame) for k, p in fields.items()}
    dash.train()
    assert {k: type(p.current_frame) for k, p in fields.items()} == kinds
    pred = fields["|residual|"].current_frame.get(0)          # the curve, under the points
    np.testing.assert_allclose(pred.dimension_values(1), np.maximum(dash.shown.residual, 1e-16))


def test_panel_stylesheets_stay_inline_after_redraws():
    """With inline resources, a notebook output that is redrawn (text, children, loading
    spinner) links no stylesheet from Panel's CDN: setup() inlines the CSS Panel re-sends,
    once per document and URL."""
    import holoviews as hv
    import panel as pn
    from bokeh.models import ImportedStyleSheet, InlineStyleSheet

    from pinnkit_widgets import setup

    assert setup() is True
    md, box = pn.pane.Markdown("step 0"), pn.FlexBox()
    pipe = hv.streams.Pipe(data=[1, 2])
    layout = pn.Row(pn.Column(md, pn.widgets.Button(label="Train")), box,
                    pn.pane.HoloViews(hv.DynamicMap(lambda data: hv.Curve(data), streams=[pipe])))
    layout._repr_mimebundle_()
    doc = list(layout._models.values())[0][0].document

    def cdn_links():
        return sorted({st.url for m in doc.models for st in (getattr(m, "stylesheets", None) or [])
                       if isinstance(st, ImportedStyleSheet) and st.url.startswith("http")})

    def inline_count():
        return sum(isinstance(m, InlineStyleSheet) for m in doc.models)

    assert cdn_links() == []
    md.object = "step 1"
    pipe.send([3, 1, 2])
    box.objects = [pn.pane.Markdown("a new pane")]
    layout.loading = True
    layout.loading = False
    assert cdn_links() == []
    before = inline_count()
    assert before > 0
    for i in range(10):
        md.object = f"step {i + 2}"
    assert inline_count() == before  # redraws reuse the inlined sheets


def test_a_configured_static_balancer_is_kept_with_its_weights_not_dropped():
    """A config asking for ``static`` weights keeps them in the controls (and in what they
    read back); a balancer that cannot be built is a clear error, never a silent ``none``."""
    from pinnkit_widgets.controls import Controls

    cfg = RunConfig(problem="convection", balancer="static", balancer_options={"scales": {"initial": 100.0}})
    c = Controls(cfg)
    assert c.balancer.value == "static"
    back = c.config()
    assert back.balancer == "static" and back.balancer_options == {"scales": {"initial": 100.0}}
    c.balancer.value = "none"  # switching away drops options meant for "static"
    assert c.config().balancer_options == {}
    with pytest.raises(ValueError, match="balancer 'static'"):
        Controls(RunConfig(problem="convection", balancer="static"))


@pytest.mark.parametrize("host,local", [
    ("localhost:5006", True), ("127.0.0.1:5006", True), ("[::1]:5006", True), ("LOCALHOST", True),
    ("192.0.2.2:5006", False), ("example.org", False), ("localhost.example.org:80", False), ("", False),
    ("[2001:db8::1]:5006", False),
])
def test_served_apps_answer_only_requests_for_this_machine(host, local):
    from pinnkit_widgets.apps import is_local_host

    assert is_local_host(host) is local


def test_compare_weight_and_residual_point_views_show_both_runs():
    """``weights_view`` draws every weight curve of both runs (the balanced side's, not the
    plain side's, moves); ``residual_points_view`` shows each run's residual with its points."""
    import holoviews as hv

    base = RunConfig(problem="convection", parameters={"beta": 5.0}, steps=6, **TINY)
    cmp = Compare(base, a={"balancer": "none"}, b={"balancer": "grad_norm", "balancer_options": {"every": 2}},
                  live=False)
    cmp.train()
    a, b = cmp.runs
    overlay = cmp.weights_view()[()]
    curves = {c.label: c for c in overlay}
    terms = list(a.curves("weight/"))
    assert set(curves) == {f"{lab} {n}" for lab in cmp.labels for n in terms}
    assert all(np.allclose(curves[f"A {n}"].dimension_values("λ"), 1.0) for n in terms)
    assert any(not np.allclose(curves[f"B {n}"].dimension_values("λ"), 1.0) for n in terms)
    only = cmp.weights_view(terms=["initial"])[()]
    assert sorted(c.label for c in only) == ["A initial", "B initial"]
    layout = cmp.residual_points_view()[()]
    assert isinstance(layout, hv.Layout) and len(layout) == 2
    for run, panel in zip(cmp.runs, layout):
        pts = [el for el in panel if isinstance(el, hv.Points)]
        assert len(pts) == 1 and len(pts[0]) == len(run.snapshots[-1].points)


def test_controls_round_trip_gradient_combination_and_causal_settings():
    """``combine`` is a select from ``COMBINE_CHOICES`` and "causal residual" a checkbox of
    the Controls (disabled without a time coordinate); ``config()`` reads both back, and
    the causal options of the configuration travel with it."""
    from pinnkit.recipes import COMBINE_CHOICES
    from pinnkit_widgets.controls import Controls

    cfg = RunConfig(problem="burgers", combine="mconfig", optimizer="sgd", causal=True,
                    causal_options={"num_slices": 8})
    c = Controls(cfg)
    assert list(c.combine.options) == list(COMBINE_CHOICES) and c.combine.value == "mconfig"
    assert c.causal.value and not c.causal.disabled
    back = c.config()
    assert (back.combine, back.causal, back.causal_options, back.optimizer) == ("mconfig", True, {"num_slices": 8}, "sgd")
    c.combine.value = "config"
    c.causal.value = False
    assert (c.config().combine, c.config().causal) == ("config", False)
    assert "multiadam" in c.optimizer.options
    c.causal.value = True
    c.disable(True)
    assert c.combine.disabled and c.causal.disabled
    c.disable(False)
    assert not c.causal.disabled
    c.problem.value = "poisson1d"            # no time: the box is cleared and greyed out
    assert c.causal.disabled and not c.causal.value and not c.config().causal
    c.disable(False)
    assert c.causal.disabled                 # stays greyed out after a run
    with pytest.raises(ValueError, match="causal=True needs a time-dependent problem"):
        Controls(RunConfig(problem="poisson1d", causal=True))


def test_live_run_trains_what_the_config_says_combiner_and_causal_included():
    from pinnkit.combining import ConFIG
    from pinnkit.losses import CausalResidual
    from pinnkit.recipes import run

    cfg = RunConfig(problem="burgers", combine="config", causal=True, causal_options={"num_slices": 8},
                    steps=6, **TINY)
    live = LiveRun(cfg, gradient_norms=False, max_rate=1e9, budget=None)
    assert isinstance(live.recipe.combiner, ConFIG) and isinstance(live.causal, CausalResidual)
    live.run()
    ref = run(cfg, progress=False)
    for a, b in zip(live.model.parameters(), ref.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    assert live.history.final["loss"] == pytest.approx(ref.history.final["loss"], rel=1e-6)
    assert live.history.rows[-1]["causal/min_weight"] == pytest.approx(ref.history.rows[-1]["causal/min_weight"])
    assert live.snapshots[-1].causal_weights.shape == (8,)
    # the old flag is the config field
    flagged = LiveRun(RunConfig(problem="burgers", steps=2, **TINY), causal=True)
    assert flagged.config.causal and flagged.causal is not None
    assert LiveRun(RunConfig(problem="burgers", steps=2, **TINY)).causal is None


def test_compare_and_dashboard_pass_combine_and_causal_through_the_config():
    cmp = Compare(RunConfig(problem="burgers", steps=3, **TINY), a={}, b={"combine": "mconfig", "optimizer": "sgd"},
                  live=False)
    assert [r.config.combine for r in cmp.runs] == ["none", "mconfig"]
    assert cmp.runs[0].recipe.combiner is None and type(cmp.runs[1].recipe.combiner).__name__ == "MomentumConFIG"
    cmp.train()
    assert [f["steps"] for f in cmp.final()] == [3, 3] and "combine=mconfig" in cmp.table.object
    dash = Dashboard("convection", live=False, steps=3, causal=True, **TINY)
    assert dash.causal is dash.controls.causal and dash.controls.config().causal and dash.run.config.causal
    dash.causal.value = False                # the checkbox sets the config field; the run follows
    assert not dash.run.config.causal and dash.run.causal is None
    assert not Dashboard("poisson1d", live=False, steps=3, causal=True, **TINY).run.config.causal   # ignored, as before


def test_log_axes_label_few_ticks_that_cover_the_data():
    """Log axes get explicit ticks: 1-2-5 steps on a short range, thinned decades on a long
    one, never more than a handful (the default ticker crowded short ranges' labels)."""
    from pinnkit_widgets.views import _log_axis, _log_ticks

    assert _log_ticks(0.1, 10.0) == [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
    assert _log_ticks(1e-12, 1e4) == [1e-12, 1e-9, 1e-6, 1e-3, 1.0, 1e3]
    for lo, hi in [(1e-3, 1.0), (1e-8, 1e8), (0.5, 3.0)]:
        axis = _log_axis([lo, hi])
        ticks, (a, b) = axis["yticks"], axis["ylim"]
        assert 2 <= len(ticks) <= 7 and a <= lo and hi <= b and all(a <= t <= b for t in ticks), (lo, hi, axis)
    assert _log_axis([1.0, 1e4])["ylim"] == (0.1, 1e5)   # a weight of exactly 1 is not drawn on the frame


def test_live_dashboard_redraws_only_the_open_tab_and_updates_a_tab_when_opened():
    """Live, a closed tab is not redrawn (its redraws would count against the UI budget);
    opening it draws the latest snapshot at once."""
    dash = Dashboard(config=RunConfig(problem="convection", steps=8, **TINY), live=True)
    sent = {"curves": [], "diagnostics": []}
    dash.train()
    dash.run.thread.join()
    dash.pipe.add_subscriber(lambda **kw: sent["curves"].append(kw["data"]))
    dash.diag_pipe.add_subscriber(lambda **kw: sent["diagnostics"].append(kw["data"]))
    dash.refresh()                                          # the run has ended: a forced redraw
    last = dash.run.snapshots[-1].step
    assert sent == {"curves": [last], "diagnostics": []}
    dash.tabs.active = 1                                    # the student opens Diagnostics
    assert sent["diagnostics"] == [last]
    dash.refresh()
    assert sent["curves"] == [last] and sent["diagnostics"] == [last, last]


def test_dashboard_singular_value_view_shows_the_snapshot_matrices_singular_values():
    """The Diagnostics tab's n-width view draws σ_k/σ_1 of the shown prediction and of the
    reference, as numpy's SVD of the fields on the grid gives them."""
    from pinnkit.diagnostics.transport import snapshot_singular_values

    dash = Dashboard(config=RunConfig(problem="convection", steps=6, **TINY), live=False).train()
    snap, run = dash.shown, dash.run
    view = dash._diagnostic("nwidth", snap, run)
    curves = {el.label: el.dimension_values(1) for el in view}
    ref = np.linalg.svd(run.grid.ref.reshape(run.grid.shape), compute_uv=False)
    pred = np.linalg.svd(snap.pred.reshape(run.grid.shape), compute_uv=False)
    assert np.allclose(curves["reference"], np.maximum(ref / ref[0], 1e-16), rtol=1e-10)
    assert np.allclose(curves["prediction"], np.maximum(pred / pred[0], 1e-16), rtol=1e-10)
    assert np.allclose(curves["reference"], np.maximum(snapshot_singular_values(run.grid.ref.reshape(run.grid.shape)), 1e-16))
    one_d = Dashboard(config=RunConfig(problem="oscillator", steps=2, **TINY), live=False).train()
    assert "2D field" in str(one_d._diagnostic("nwidth", one_d.shown, one_d.run).data)


def test_live_run_trains_with_the_configured_derivative_engine():
    """LiveRun trains with RunConfig.engine (engines agree to round-off, so it changes
    speed only; once, a widget silently trained with the default engine): the history
    names the engine that ran."""
    cfg = dict(problem="burgers", steps=3, **TINY)
    a = LiveRun(RunConfig(**cfg, engine="taylor"), max_rate=1e-6).run()
    b = LiveRun(RunConfig(**cfg), max_rate=1e-6).run()
    assert a.history.meta["engine"] == "taylor" and b.history.meta["engine"] == "autograd"
    assert a.history.final["loss"] == pytest.approx(b.history.final["loss"], rel=1e-5)


def test_controls_are_generated_from_the_run_configuration():
    """One widget per RunConfig field with a widget hint, read back into that field."""
    from pinnkit_widgets.controls import Controls

    hinted = {k for k, v in RunConfig.fields_help().items() if v["widget"] is not None}
    c = Controls(RunConfig(problem="burgers", model="modified_mlp", width=24, steps=7, resample_every=50))
    assert set(c.widgets) == hinted
    cfg = c.config()
    assert (cfg.model, cfg.width, cfg.steps, cfg.resample_every) == ("modified_mlp", 24, 7, 50)
    c.widgets["model"].value = "mlp"
    c.widgets["resample_every"].value = 0          # 0 = never
    assert c.config().model == "mlp" and c.config().resample_every is None


def test_each_log_slider_owns_its_formatter():
    """A formatter shared between sessions of a served app belongs to the first session's
    document; later sessions then showed 'undefined' as the slider's value."""
    from pinnkit_widgets.controls import Controls

    a, b = Controls(RunConfig(problem="burgers")), Controls(RunConfig(problem="burgers"))
    assert a.lr.format is not b.lr.format
    assert a.parameters["nu"].widget.format is not b.parameters["nu"].widget.format


@pytest.fixture
def served_as(monkeypatch):
    """Pretend the app function runs in a served session whose request had a given Host."""
    import types

    import panel as pn
    from bokeh.document import Document

    def served(host):
        request = types.SimpleNamespace(headers={"Host": host}, arguments={})
        context = types.SimpleNamespace(request=request)
        doc = Document()
        doc._session_context = lambda: context
        pn.state.curdoc = doc

    monkeypatch.delenv("PINNKIT_ALLOW_REMOTE", raising=False)
    yield served
    pn.state.curdoc = None


@pytest.mark.parametrize("app", ["dashboard_app", "explorer_app", "compare_app"])
def test_served_apps_refuse_a_foreign_host_even_from_a_same_origin_page(served_as, app, monkeypatch):
    """The protection that holds when a page is opened under the machine's network address:
    Bokeh's websocket-origin check lets a same-origin request under a foreign Host through
    (the Origin and Host agree), so each app itself refuses any Host but this machine's."""
    import panel as pn

    from pinnkit_widgets import apps

    served_as("192.0.2.2:5006")
    page = getattr(apps, app)()
    assert isinstance(page, pn.pane.Markdown)
    assert "answers on this machine only (asked for as `192.0.2.2:5006`)" in page.object
    served_as("localhost:5006")
    assert apps._refusal() is None
    served_as("192.0.2.2:5006")
    monkeypatch.setenv("PINNKIT_ALLOW_REMOTE", "1")  # the deliberate shared setup
    assert apps._refusal() is None


def test_defaults_button_restores_every_setting_while_reset_keeps_them():
    dash = Dashboard("burgers", live=False, steps=5, **TINY)
    start = dash.controls.config()
    # RunConfig's defaults + the given ones (the sliders read the problem's default values)
    assert start.parameters == pytest.approx(zoo.get("burgers").values, rel=1e-12)  # via log10 and back
    assert start == RunConfig(**{**dash.config0.to_dict(), "lr": 1e-3, "parameters": start.parameters})
    c = dash.controls
    c.problem.value = "convection"
    c.parameters["beta"].widget.value = 17.0
    c.width.value, c.depth.value, c.activation.value, c.hard.value = 24, 3, "sin", True
    c.sampler.value, c.num_points.value, c.balancer.value = "lhs", 700, c.balancer.options[-1]
    c.optimizer.value, c.steps.value, c.seed.value, c.dtype.value, c.causal.value = "adam+lbfgs", 9, 3, "float64", True
    c.lr.value = -2.0
    changed = c.config()
    assert all(getattr(changed, k) != getattr(start, k) for k in
               ("problem", "parameters", "width", "depth", "activation", "hard", "sampler", "num_points", "balancer",
                "optimizer", "steps", "seed", "dtype", "causal", "lr"))
    dash.reset_button.clicks += 1  # ↺ Reset: a new model, the same settings
    assert dash.controls.config() == changed
    dash.defaults_button.clicks += 1  # ⟲ Defaults: every setting back
    assert dash.controls.config() == start
    assert dash.run.config == start and dash.problem.name == "burgers"  # the untrained model of the defaults
    assert "restored" in dash.message.object
    dash.train(wait=True)
    assert dash.run.history.status == "completed" and dash.run.history.final["step"] == 5


def test_setup_loads_panel_again_into_a_reloaded_page(monkeypatch):
    """After a browser reload the kernel keeps running but the page has lost Panel's
    JavaScript: setup() sees the new page (the session of the Jupyter message header) and
    publishes the full bundle again, once per page."""
    import types

    import IPython
    import panel.io.notebook

    from pinnkit_widgets import resources

    setup_inline = resources.setup()  # loaded in this process already (or now)
    page = {"session": "page-1"}
    kernel = types.SimpleNamespace(get_parent=lambda channel="shell": {"header": {"session": page["session"]}})
    monkeypatch.setattr(IPython, "get_ipython", lambda: types.SimpleNamespace(kernel=kernel))
    assert resources.frontend_session() == "page-1"
    loads = []
    monkeypatch.setattr(panel.io.notebook, "load_notebook", lambda inline, reloading=False: loads.append((inline, reloading)))
    monkeypatch.setitem(resources._done, "session", "page-1")
    resources.setup()
    resources.setup()
    assert loads == []  # the same page: nothing to load
    page["session"] = "page-2"  # the browser reloaded the notebook
    resources.setup()
    resources.setup()
    assert loads == [(setup_inline, False)]  # the whole bundle (not Panel's "reloading" stub), once
    resources.setup(force=True)
    assert len(loads) == 2
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert resources.frontend_session() is None  # a script, pytest, a served app


def test_status_line_bolds_a_name_without_parameters():
    from pinnkit_widgets.views import status_text

    progress = {"step": 3, "total": 10, "steps_per_s": 1.0, "eta": 7.0}
    line = status_text(zoo.get("heat"), progress, None, label="heat ")   # a problem without shown parameters
    assert line.startswith("**heat** step 3 / 10"), line


def test_long_int_slider_label_is_short_and_wraps():
    from pinnkit_widgets.controls import WRAP_TITLE, Controls

    slider = Controls(RunConfig(problem="heat")).widgets["resample_every"]
    assert slider.name == "redraw / refine the residual points every n steps (0 = sampler's default)"
    assert WRAP_TITLE in slider.stylesheets


def test_field_colour_bar_names_the_quantity_not_the_run():
    import holoviews as hv

    from pinnkit.diagnostics.recorder import Grid
    from pinnkit_widgets import setup
    from pinnkit_widgets.views import field_view

    setup()
    problem = zoo.get("heat")
    grid = Grid.of(problem, most=8)
    img = field_view(grid, np.ones(int(np.prod(grid.shape))), "fix it: causal ε = 10: |error|",
                     problem.domain.names, log=True)
    assert hv.Store.lookup_options("bokeh", img, "plot").kwargs["clabel"] == "log10 |error|"


class _FakeCallbacks:
    """Stands in for ``pn.state.add_periodic_callback`` (no event loop under pytest)."""

    def __init__(self):
        self.added = []

    def __call__(self, fn, period=500, count=None, **kw):
        cb = type("CB", (), {"stop": lambda self: setattr(self, "stopped", True), "stopped": False})()
        self.added.append((fn, period, count, cb))
        return cb


@pytest.mark.parametrize("view", ["compare", "dashboard", "explorer"])
def test_a_live_view_pushes_its_final_state_again_once_the_kernel_is_idle(view, monkeypatch, tmp_path):
    # In JupyterLab the last update of a run is made while the kernel is busy (Run All, or
    # a cell calling wait()) and could be lost: a Compare's loss curves stayed empty in the
    # page. Every live view therefore schedules repeated pushes of its final state.
    import panel as pn

    from pinnkit_widgets.resources import REPUSH_COUNT, resend_text

    fake = _FakeCallbacks()
    monkeypatch.setattr(pn.state, "add_periodic_callback", fake)
    base = RunConfig(problem="convection", parameters={"beta": 5.0}, steps=4, **TINY)
    if view == "compare":
        w = Compare(base, a={}, b={"hard": True}, live=True)
        text_pane, pipe = w.table, w.pipe
    elif view == "dashboard":
        w = Dashboard("convection", live=True, steps=4, **TINY)
        text_pane, pipe = w.status, w.pipe
    else:
        w = Explorer(base, "beta", [1, 2], cache_dir=tmp_path, live=True)
        text_pane, pipe = w.status, None
    (w.sweep if view == "explorer" else w.train)()
    assert len(fake.added) == 1 and fake.added[0][2] is None     # the live refresh while training
    w.wait()
    assert fake.added[0][3].stopped                              # ... stopped when the run ended
    assert len(fake.added) == 2, fake.added                      # and the re-push scheduled, once
    repush, _, count, _ = fake.added[1]
    assert count == REPUSH_COUNT >= 1
    w.wait()
    assert len(fake.added) == 2                                  # a second wait() schedules nothing more
    fired = []
    if pipe is not None:
        pipe.add_subscriber(lambda **kw: fired.append(1))
    before = text_pane.object
    repush()
    assert text_pane.object != before and text_pane.object.strip("\u200b") == before.strip("\u200b")
    if pipe is not None:
        assert fired                                             # the plots were sent again
    again = text_pane.object
    resend_text(text_pane)
    assert text_pane.object != again and text_pane.object.strip("\u200b") == again.strip("\u200b")


def test_the_dashboard_shows_any_output_of_a_multi_output_problem():
    dash = Dashboard("pendulum", live=False, steps=30, num_points=64, width=16, depth=2, eval_every=10)
    assert dash.output_select.visible and list(dash.output_select.options) == ["theta", "omega"]
    dash.train()
    run = dash.run
    assert run.output == 0
    ref = run.problem.reference_on(run.grid.x)
    np.testing.assert_allclose(run.grid.ref, ref[:, 0])
    theta_pred = run.snapshots[-1].pred.copy()
    n_snaps = len(run.snapshots)
    dash.show_output(1)                                     # the menu: ω instead of θ
    assert run.output == 1 and len(run.snapshots) == n_snaps > 1   # every snapshot kept, re-read
    np.testing.assert_allclose(run.grid.ref, ref[:, 1])
    pred = run.snapshots[-1].pred
    from pinnkit.training.evaluate import predict
    out = predict(run.model, run.grid.x)
    np.testing.assert_allclose(pred, out[:, 1], rtol=1e-5, atol=1e-6)   # the model's second column
    assert not np.allclose(pred, theta_pred)
    np.testing.assert_allclose(run.snapshots[-1].error, np.abs(out[:, 1] - ref[:, 1]), rtol=1e-4, atol=1e-6)
    first = run.snapshots[0]
    np.testing.assert_array_equal(first.pred, first.outputs[:, 1])   # the replay shows ω too
    with pytest.raises(ValueError, match=r"output must be an integer in \[0, 2\) for pendulum"):
        run.show_output(2)
    single = Dashboard("heat", live=False, steps=2, **TINY)
    assert not single.output_select.visible                 # one output: no menu
