"""Command line: ``python -m pinnkit train burgers --nu 0.00318 --steps 5000 --out runs/b1``.

The options of ``train`` are generated from :class:`pinnkit.recipes.RunConfig`'s fields
(``--num-points``, ``--optimizer``, ``--lbfgs-options '{"tolerance_change": 1e-7}'``, …: the
help of each is the field's), plus one option per parameter of the chosen problem
(``--nu``, ``--beta``). Options must be spelled out in full: an abbreviation is refused.
Prints the final metrics as JSON.

Inverse problems: ``--data obs.csv`` (columns named like the problem's coordinates and
field, e.g. ``x,t,u``; or ``.npz``) with ``--unknowns nu`` trains ν as well, starting from
``--nu`` (or the problem's default); the identified value is the ``unknown/nu`` entry (and a
line on stderr).
"""
from __future__ import annotations

import argparse
import json
import sys

from .models.engines import DEFAULT_ENGINE, ENGINES
from .problems import zoo
from .recipes import RunConfig, load_run, run


def _json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise argparse.ArgumentTypeError(f"not JSON ({e.msg}): {text!r}") from None


def _json_dict(text: str):
    v = _json(text)
    if not isinstance(v, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object such as '{{\"key\": 1}}'; got {text!r}")
    return v


def _int_or_dict(text: str):
    try:
        return int(text)
    except ValueError:
        return _json_dict(text)


def _data_arg(text: str):
    """``--data obs.csv`` (a file) or ``--data '{"points": 2000, "noise": 0.01}'``."""
    return _json_dict(text) if text.lstrip().startswith("{") else text


def _unknowns_arg(text: str):
    """``--unknowns nu`` / ``nu,rho`` (names) or ``--unknowns '{"nu": 0.05}'``."""
    if text.lstrip().startswith("{"):
        return _json_dict(text)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"give parameter names such as 'nu' or 'nu,rho'; got {text!r}")
    return names


def _optional(kind):
    def parse(text: str):
        return None if text.lower() == "none" else kind(text)

    parse.__name__ = kind.__name__
    return parse


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """One option per command-line field of RunConfig, typed from its annotation."""
    for name, info in RunConfig.fields_help().items():
        if name == "problem" or not info["cli"]:
            continue
        flag = f"--{name.replace('_', '-')}"
        typ, default, helptext = str(info["type"]), info["default"], info["help"]
        if info["choices"] and name != "engine":
            helptext += f" ({', '.join(map(str, info['choices']))})"
        if name == "data":
            parser.add_argument(flag, type=_data_arg, default=default, metavar="FILE|JSON", help=helptext)
        elif name == "unknowns":
            parser.add_argument(flag, "--unknown", type=_unknowns_arg, default=default, metavar="NAMES|JSON",
                                help=helptext + "; with --<parameter> v the unknown starts from v")
        elif name == "engine":
            parser.add_argument(flag, choices=sorted(ENGINES), default=None,
                                help=f"{helptext}; default {DEFAULT_ENGINE}")
        elif typ == "bool":
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=helptext)
        elif typ == "dict":
            parser.add_argument(flag, type=_json_dict, default=default, metavar="JSON", help=helptext)
        elif "dict" in typ:
            parser.add_argument(flag, type=_int_or_dict, default=default, metavar="N|JSON", help=helptext)
        else:
            kind = int if typ.startswith("int") else float if typ.startswith("float") else str
            parser.add_argument(flag, type=_optional(kind) if "None" in typ else kind, default=default,
                                help=f"{helptext} (default {default})")


def _parser(problem: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pinnkit", description="Train and inspect physics-informed neural networks.",
                                allow_abbrev=False)
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a zoo problem headlessly", allow_abbrev=False)
    t.add_argument("problem", choices=zoo.names())
    _add_run_options(t)
    for action in t._actions:  # the CLI's own default: one thread, which cannot oversubscribe a shared machine
        if action.dest == "threads":
            action.help = "torch CPU threads (default 1: never oversubscribes cores other jobs hold; raise it on an idle machine)"
    t.add_argument("--out", help="folder to save the run (config, history, model, metrics)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    if problem is not None:
        for name, par in zoo.get(problem).parameters.items():
            t.add_argument(f"--{name}", type=float, default=None, help=par.doc)
    s = sub.add_parser("show", help="print a saved run's final metrics", allow_abbrev=False)
    s.add_argument("folder")
    sub.add_parser("problems", help="list the zoo", allow_abbrev=False)
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    problem = argv[1] if argv[:1] == ["train"] and len(argv) > 1 and argv[1] in zoo.names() else None
    args = _parser(problem).parse_args(argv)
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
    params = {k: getattr(args, k) for k in zoo.get(args.problem).parameters if getattr(args, k) is not None}
    cfg = {k: getattr(args, k) for k in RunConfig.fields_help() if hasattr(args, k) and k != "problem"}
    cfg.update(problem=args.problem, parameters=params)
    if cfg.get("threads") is None:
        cfg["threads"] = 1
    try:
        result = run(RunConfig.from_dict(cfg), out=args.out, progress=not args.no_progress)
    except ValueError as e:
        print(f"pinnkit: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"status": result.history.status, **result.metrics}, indent=2))
    for k, v in result.problem.unknowns.items():  # what was identified, said in words (stdout stays JSON)
        found = result.metrics.get(f"unknown/{k}")
        truth = result.problem.truth.get(k)
        print(f"pinnkit: {k} = {found:.6g} (started from {v:.6g}" +
              (f"; true value {truth:.6g}, error {abs(found - truth) / abs(truth):.2%})" if truth else ")"),
              file=sys.stderr)
    if result.history.message == "interrupted":  # Ctrl-C: the run is saved as stopped; exit as shells expect
        print(f"pinnkit: interrupted at step {int(result.history.final.get('step', 0))}"
              + (f"; the run so far is saved in {args.out}" if args.out else ""), file=sys.stderr)
        return 130
    return 0 if result.history.status != "diverged" else 1


if __name__ == "__main__":
    sys.exit(main())
