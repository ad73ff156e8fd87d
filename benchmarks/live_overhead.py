"""What live viewing costs: the same run with and without the dashboard, and Stop latency.

    python benchmarks/live_overhead.py [--problem burgers] [--steps 300] [--repeats 3] [--diagnostics]

For each repeat, interleaved (A B A B ...):

- **plain**: ``pinnkit.train`` on the configuration, no callbacks;
- **dashboard**: the same configuration trained by :class:`pinnkit_widgets.Dashboard` in
  its thread, its views rendered to Bokeh models (``panel.get_root()``), with a UI thread
  calling ``dashboard.refresh()`` every 250 ms as the browser-side periodic callback
  does — so the cost includes snapshots, gradient norms, and HoloViews/Bokeh updates
  (``--diagnostics``: with the Diagnostics tab open instead of the loss curves).

The overhead is ``median(dashboard_time / plain_time) - 1`` over the pairs (ratios within
one run, so machine load cancels as far as interleaving allows). Stop latency: time from
``stop()`` to the end of the training thread, pressed at random moments of a long run.
Both use one torch thread. Results go to ``build/benchmarks/live_overhead.json``.
"""
from __future__ import annotations

import argparse
import functools
import json
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import torch

from pinnkit.recipes import RunConfig, build
from pinnkit.training import train


def plain(config: RunConfig) -> float:
    problem, model, sampler, balancer, plan = build(config)
    t = time.perf_counter()
    train(problem, model, sampler=sampler, balancer=balancer, optimizer=plan, condition_points=config.condition_points,
          eval_every=config.eval_every, seed=config.seed, dtype=config.dtype, progress=False)
    return time.perf_counter() - t


def with_dashboard(config: RunConfig, diagnostics: bool = False) -> tuple[float, dict]:
    from pinnkit_widgets import Dashboard

    dash = Dashboard(config=config, live=True)
    if diagnostics:
        dash.tabs.active = 1                    # the Diagnostics tab is the one rendered and updated
    dash.panel.get_root()                       # real Bokeh models receive every update
    done = threading.Event()

    def ui():
        while not done.is_set():
            time.sleep(dash.period / 1000)
            dash.refresh()

    t = time.perf_counter()
    dash.train()
    ui_thread = threading.Thread(target=ui, daemon=True)
    ui_thread.start()
    dash.run.thread.join()
    elapsed = time.perf_counter() - t
    done.set()
    ui_thread.join()
    run = dash.run
    return elapsed, {"snapshots": len(run.snapshots), "snapshot_fraction": run.overhead,
                     "redraw_fraction": dash.push_time / elapsed,
                     "snapshot_cost_s": float(np.median([s.cost for s in run.snapshots[1:]]))}


def stop_latency(config: RunConfig, presses: int, rng) -> list[float]:
    from pinnkit_widgets import Dashboard

    out = []
    long = RunConfig(**{**config.to_dict(), "steps": 10**6})
    for _ in range(presses):
        dash = Dashboard(config=long, live=True)
        dash.train()
        while dash.run.progress()["step"] < 5:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 1.0))       # press at a random moment
        dash.stop_button.clicks += 1
        dash.run.thread.join()
        out.append(dash.run.stop_latency)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--problem", default="burgers")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--num-points", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--presses", type=int, default=5)
    p.add_argument("--diagnostics", action="store_true", help="show the Diagnostics tab instead of the loss curves")
    p.add_argument("--out", default="build/benchmarks/live_overhead.json")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    config = RunConfig(problem=a.problem, steps=a.steps, num_points=a.num_points, threads=1, eval_every=100)
    plain(RunConfig(**{**config.to_dict(), "steps": 5}))        # warm up imports and caches
    dashboard = functools.partial(with_dashboard, diagnostics=a.diagnostics)
    dashboard(RunConfig(**{**config.to_dict(), "steps": 5}))
    pairs, info = [], []
    for r in range(a.repeats):
        order = [plain, dashboard] if r % 2 == 0 else [dashboard, plain]
        times = {}
        for fn in order:
            out = fn(config)
            if fn is dashboard:
                times["dashboard"], extra = out
                info.append(extra)
            else:
                times["plain"] = out
        pairs.append(times)
        print(f"repeat {r}: plain {times['plain']:.2f} s, dashboard {times['dashboard']:.2f} s, "
              f"ratio {times['dashboard'] / times['plain']:.3f}, {info[-1]}", flush=True)
    ratios = [t["dashboard"] / t["plain"] for t in pairs]
    lat = stop_latency(config, a.presses, np.random.default_rng(0))
    result = {
        "problem": a.problem, "diagnostics_tab": a.diagnostics, "steps": a.steps, "num_points": a.num_points, "repeats": a.repeats,
        "plain_s": [t["plain"] for t in pairs], "dashboard_s": [t["dashboard"] for t in pairs],
        "ratios": ratios, "overhead_percent": 100 * (statistics.median(ratios) - 1),
        "snapshot_fraction_percent": 100 * statistics.median(i["snapshot_fraction"] for i in info),
        "redraw_fraction_percent": 100 * statistics.median(i["redraw_fraction"] for i in info),
        "snapshots": [i["snapshots"] for i in info], "snapshot_cost_s": [i["snapshot_cost_s"] for i in info],
        "stop_latency_s": lat, "stop_latency_max_s": max(lat), "stop_latency_median_s": statistics.median(lat),
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2))
    print(f"live-view overhead: {result['overhead_percent']:.1f} % of training time "
          f"(median of {a.repeats} interleaved pairs; snapshots alone {result['snapshot_fraction_percent']:.1f} %)")
    print(f"stop latency: median {1000 * result['stop_latency_median_s']:.0f} ms, "
          f"max {1000 * result['stop_latency_max_s']:.0f} ms over {a.presses} presses")
    return result


if __name__ == "__main__":
    main()
