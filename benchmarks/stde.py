"""Exact Laplacian against Hutchinson and sparse STDE on ``poisson_nd`` in d = 10, 100, 1000.

Per configuration (estimator × d), a fresh Python process trains the same RunConfig
(MLP 4×20 tanh, 200 residual points, 200 boundary points, Adam, float32, one thread) for a
few steps and reports

- ms/step: median of the per-step wall times of the history (the first two steps, warm-up
  and the Taylor engine's pair discovery, left out);
- peak memory: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after training minus the same
  high-water mark just before it (after imports and building the run's problem). This is
  the resident memory the training steps added above everything the process had touched
  before: torch's CPU allocator is seen (tracemalloc would not see it); memory freed and
  reused inside a step is not double counted.

Variants: ``exact`` with reverse mode (``engine="autograd"``: d backward passes), ``exact``
with pinnkit's Taylor engine (``engine="taylor"``: d derivative channels in the forward
pass; its diagonal pairs ``(i, i)`` are declared up front — left to be discovered, the first
step differentiates the jets in reverse mode once per pair, which needs memory growing like
d² and does not fit at d = 1000), ``hutchinson`` (16 Rademacher vectors per point), ``stde`` (16 coordinates per step).
Ratios are against exact/autograd at the same d, in the same run.

The scaling claim, with its threshold fixed before measuring: from d = 10 to d = 1000 the
per-step time of exact/autograd grows at least 10× more than that of STDE
(``growth(exact) / growth(stde) >= 10``; the claim of Shi et al. is that the exact cost
grows about d times faster, here 100×).

``python benchmarks/stde.py [--dims 10,100,1000] [--steps 12]`` writes
``benchmarks/STDE_RESULTS.json`` and ``benchmarks/STDE_RESULTS.md``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
VARIANTS = {
    "exact (autograd)": dict(laplacian="exact", engine="autograd"),
    "exact (taylor engine)": dict(laplacian="exact", engine="taylor"),
    "hutchinson (S=16)": dict(laplacian="hutchinson", laplacian_options={"samples": 16}),
    "stde (B=16)": dict(laplacian="stde", laplacian_options={"rand_batch": 16}),
}
THRESHOLD = 10.0


def child(variant: str, d: int, steps: int) -> dict:
    import torch

    torch.set_num_threads(1)
    from pinnkit.recipes import RunConfig, build

    cfg = RunConfig(problem="poisson_nd", parameters={"d": d}, steps=steps, num_points=200, condition_points=200,
                    width=20, depth=4, eval_every=10**6, threads=1, seed=0, **VARIANTS[variant])
    recipe = build(cfg)
    kw = recipe.train_kwargs(recipe.problem)
    if cfg.engine == "taylor":  # the diagonal pairs declared up front (see the module docstring)
        from pinnkit.models.engines import Taylor

        kw["engine"] = Taylor(pairs=[(i, i) for i in range(d)])
    from pinnkit import train

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    history = train(recipe.problem, recipe.model, progress=False, **kw)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, times = history.where("time")
    per_step = [b - a for a, b in zip(times[:-1], times[1:])][2:]
    return {"variant": variant, "d": d, "steps": steps, "ms_per_step": 1e3 * statistics.median(per_step),
            "peak_mib": (after - before) / 1024, "wall_s": wall, "engine": history.meta.get("engine")}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", default="10,100,1000")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--child", nargs=3, metavar=("VARIANT", "D", "STEPS"))
    ap.add_argument("--out", default=str(HERE))
    ap.add_argument("--errors", action="store_true", help="error after a fixed budget instead of timings")
    a = ap.parse_args(argv)
    if a.errors:
        errors(out=a.out)
        return
    if a.child:
        print(json.dumps(child(a.child[0], int(a.child[1]), int(a.child[2]))))
        return
    rows = []
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
        [str(HERE.parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    for d in map(int, a.dims.split(",")):
        for v in VARIANTS:
            steps = a.steps if d < 1000 or not v.startswith("exact") else max(4, a.steps // 2)
            out = subprocess.run([sys.executable, __file__, "--child", v, str(d), str(steps)], env=env,
                                 capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"d={d:5d} {v:24s} {row['ms_per_step']:9.2f} ms/step  {row['peak_mib']:8.1f} MiB", flush=True)
    by = {(r["variant"], r["d"]): r for r in rows}
    dims = sorted({r["d"] for r in rows})
    lo, hi = dims[0], dims[-1]
    growth = {v: by[(v, hi)]["ms_per_step"] / by[(v, lo)]["ms_per_step"] for v in VARIANTS}
    claim = growth["exact (autograd)"] / growth["stde (B=16)"]
    result = {"rows": rows, "growth": growth, "claim_ratio": claim, "threshold": THRESHOLD,
              "holds": claim >= THRESHOLD, "load": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                                          time.gmtime())}
    Path(a.out, "STDE_RESULTS.json").write_text(json.dumps(result, indent=1))
    lines = [f"# Laplacian estimators on poisson_nd ({result['date']}, 1 thread, CPU)", "",
             "Generated by `benchmarks/stde.py`. MLP 4×20 tanh, 200 + 200 points, float32. Peak memory: "
             "ru_maxrss added by the training steps (fresh process per row). Ratios: against exact (autograd) "
             "at the same d.", "", "| d | variant | ms/step | time ratio | peak MiB | memory ratio |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        base = by[("exact (autograd)", r["d"])]
        mem = r["peak_mib"] / base["peak_mib"] if base["peak_mib"] > 0 else float("nan")
        lines.append(f"| {r['d']} | {r['variant']} | {r['ms_per_step']:.2f} | "
                     f"{r['ms_per_step'] / base['ms_per_step']:.3f}× | {r['peak_mib']:.1f} | {mem:.3f}× |")
    lines += ["", f"Growth of ms/step from d = {lo} to d = {hi}: " +
              ", ".join(f"{v} {g:.1f}×" for v, g in growth.items()) + ".", "",
              f"Scaling claim (threshold fixed before measuring: ≥ {THRESHOLD:g}): growth(exact autograd) / "
              f"growth(stde) = {claim:.1f} — {'holds' if claim >= THRESHOLD else 'does not hold'}.",
              f"Load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}."]
    Path(a.out, "STDE_RESULTS.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-3:]))




def errors(dims=(10, 100, 1000), seeds=(0, 1, 2), steps=300, out=HERE):
    """Relative L2 error after a fixed budget of ``steps`` Adam steps (same config as the
    timings) for each estimator, median [min, max] over ``seeds``; exact/autograd is skipped
    at d = 1000 (about 1.7 s/step on this CPU). ``python benchmarks/stde.py --errors``."""
    import torch

    torch.set_num_threads(1)
    from pinnkit.recipes import RunConfig, run

    rows = []
    for d in dims:
        for v in ("exact (autograd)", "hutchinson (S=16)", "stde (B=16)"):
            if d >= 1000 and v.startswith("exact"):
                continue
            errs, t0 = [], time.perf_counter()
            for s in seeds:
                cfg = RunConfig(problem="poisson_nd", parameters={"d": d}, steps=steps, num_points=200,
                                condition_points=200, width=20, depth=4, eval_every=steps, threads=1, seed=s,
                                **VARIANTS[v])
                errs.append(run(cfg, progress=False).metrics["metric/rel_l2"])
            rows.append({"d": d, "variant": v, "rel_l2": errs, "wall_s": time.perf_counter() - t0})
            print(d, v, [f"{e:.3g}" for e in errs], f"{rows[-1]['wall_s']:.0f} s", flush=True)
    Path(out, "STDE_ERRORS.json").write_text(json.dumps({"steps": steps, "seeds": list(seeds), "rows": rows}, indent=1))
    lines = [f"# Error after {steps} Adam steps on poisson_nd (seeds {list(seeds)}, 1 thread, CPU)", "",
             "Generated by `benchmarks/stde.py --errors`; the configuration of STDE_RESULTS.md.", "",
             "| d | variant | rel L2 median [min, max] |", "|---|---|---|"]
    for r in rows:
        e = sorted(r["rel_l2"])
        lines.append(f"| {r['d']} | {r['variant']} | {statistics.median(e):.3g} [{e[0]:.3g}, {e[-1]:.3g}] |")
    Path(out, "STDE_ERRORS.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
