"""Command line: ``python -m pinnkit train burgers --nu 0.00318 --steps 5000 --out runs/b1``.

Problem parameters are options named like the parameters (``--nu``, ``--beta``); the rest
mirror :class:`pinnkit.recipes.RunConfig`. Prints the final metrics as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys

from .problems import zoo
from .models.engines import DEFAULT_ENGINE, ENGINES
from .recipes import COMBINE_CHOICES, RunConfig, load_run, run


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pinnkit", description="Train and inspect physics-informed neural networks.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a zoo problem headlessly")
    t.add_argument("problem", choices=zoo.names())
    d = RunConfig()
    for name, typ in (("width", int), ("depth", int), ("activation", str), ("sampler", str),
                      ("num_points", int), ("resample_every", int), ("condition_points", int),
                      ("balancer", str), ("optimizer", str), ("lr", float), ("steps", int),
                      ("lbfgs_steps", int), ("seed", int), ("dtype", str), ("threads", int),
                      ("eval_every", int), ("fourier_features", int)):
        t.add_argument(f"--{name.replace('_', '-')}", type=typ, default=getattr(d, name))
    t.add_argument("--engine", choices=sorted(ENGINES), default=None,
                   help=f"derivative engine (default {DEFAULT_ENGINE})")
    t.add_argument("--combine", choices=list(COMBINE_CHOICES), default="none",
                   help="gradient combination of the loss terms (ConFIG, momentum ConFIG, PCGrad)")
    t.add_argument("--causal", action="store_true", help="weight the residual causally over time (CausalResidual)")
    t.add_argument("--hard", action="store_true", help="satisfy boundary/initial conditions exactly")
    t.add_argument("--out", help="folder to save the run (config, history, model, metrics)")
    t.add_argument("--no-progress", action="store_true")
    s = sub.add_parser("show", help="print a saved run's final metrics")
    s.add_argument("folder")
    sub.add_parser("problems", help="list the zoo")
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"] and len(argv) > 1 and argv[1] in zoo.names():
        # problem parameters become options of their own
        prob = zoo.get(argv[1])
        parser = _parser()
        tp = parser._subparsers._group_actions[0].choices["train"]
        for name, par in prob.parameters.items():
            tp.add_argument(f"--{name}", type=float, default=None, help=par.doc)
        args = parser.parse_args(argv)
        params = {k: getattr(args, k) for k in prob.parameters if getattr(args, k) is not None}
    else:
        args = _parser().parse_args(argv)
        params = {}
    if args.command == "problems":
        for n in zoo.names():
            print(zoo.describe(n))
        return 0
    if args.command == "show":
        try:
            print(json.dumps(load_run(args.folder).metrics, indent=2))
        except (ValueError, FileNotFoundError) as e:
            print(f"pinnkit: {e}", file=sys.stderr)
            return 2
        return 0
    cfg = {k: getattr(args, k) for k in RunConfig.__dataclass_fields__ if hasattr(args, k) and k != "problem"}
    cfg.update(problem=args.problem, parameters=params)
    try:
        result = run(RunConfig.from_dict(cfg), out=args.out, progress=not args.no_progress)
    except ValueError as e:
        print(f"pinnkit: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"status": result.history.status, **result.metrics}, indent=2))
    return 0 if result.history.status != "diverged" else 1


if __name__ == "__main__":
    sys.exit(main())
