"""Command line: ``python -m pinnkit train burgers --nu 0.00318 --steps 5000 --out runs/b1``.

The options of ``train`` are generated from :class:`pinnkit.recipes.RunConfig`'s fields
(``--num-points``, ``--optimizer``, ``--lbfgs-options '{"tolerance_change": 1e-7}'``, …: the
help of each is the field's), plus one option per parameter of the chosen problem
(``--nu``, ``--beta``). Options must be spelled out in full: an abbreviation is refused.
Prints the final metrics as JSON.

Long runs: ``train ... --out runs/b1 --checkpoint-every 500`` writes the run folder and the
whole training state every 500 steps; after a crash, a kill or Ctrl-C,
``python -m pinnkit resume runs/b1`` continues from the last checkpoint, bit for bit.

Exit status: 0 finished, 1 diverged, 2 bad input, 130 interrupted (Ctrl-C), 143 terminated
(SIGTERM); on Ctrl-C or SIGTERM the run stops after the current step and is saved as ``stopped``
(a second Ctrl-C stops at once).

Inverse problems: ``--data obs.csv`` (columns named like the problem's coordinates and
field, e.g. ``x,t,u``; or ``.npz``) with ``--unknowns nu`` trains ν as well, starting from
``--nu`` (or the problem's default); the identified value is the ``unknown/nu`` entry (and a
line on stderr).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from .models.engines import DEFAULT_ENGINE, ENGINES
from .problems import zoo
from .recipes import TRAINING_STATE, RunConfig, load_run, resume_run, run
from .training import Callback


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
        elif name == "hidden":  # a term's name, or JSON options
            parser.add_argument(flag, type=_data_arg, default=default, metavar="TERM|JSON", help=helptext)
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
    t.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                   help="every N steps write the run folder and the whole training state to --out, so that "
                        "`python -m pinnkit resume OUT` continues the run bit for bit after a crash or a kill")
    if problem is not None:
        for name, par in zoo.get(problem).parameters.items():
            t.add_argument(f"--{name}", type=float, default=None, help=par.doc)
    s = sub.add_parser("show", help="print a saved run's final metrics", allow_abbrev=False)
    s.add_argument("folder")
    r = sub.add_parser("resume", help="continue a run saved with --checkpoint-every from its last checkpoint",
                       allow_abbrev=False)
    r.add_argument("folder")
    r.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                   help="steps between checkpoints from now on (default: the run's own)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
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
    if args.checkpoint_every is not None and args.checkpoint_every < 1:
        print(f"pinnkit: --checkpoint-every must be an integer >= 1; got {args.checkpoint_every}", file=sys.stderr)
        return 2
    if args.command == "resume":
        return _train(lambda cbs: resume_run(args.folder, callbacks=cbs, progress=not args.no_progress,
                                             checkpoint_every=args.checkpoint_every), args.folder)
    if args.checkpoint_every is not None and args.out is None:
        print("pinnkit: --checkpoint-every needs --out (the folder the checkpoints are written to)", file=sys.stderr)
        return 2
    params = {k: getattr(args, k) for k in zoo.get(args.problem).parameters if getattr(args, k) is not None}
    cfg = {k: getattr(args, k) for k in RunConfig.fields_help() if hasattr(args, k) and k != "problem"}
    cfg.update(problem=args.problem, parameters=params)
    if cfg.get("threads") is None:
        cfg["threads"] = 1
    try:
        config = RunConfig.from_dict(cfg)
    except ValueError as e:
        print(f"pinnkit: {e}", file=sys.stderr)
        return 2
    return _train(lambda cbs: run(config, out=args.out, callbacks=cbs, progress=not args.no_progress,
                                  checkpoint_every=args.checkpoint_every), args.out)


class _StopOnSignal(Callback):
    """Ends the run after the current step once SIGTERM or Ctrl-C has arrived (the run, and
    its training state when checkpointing, are then saved at that step)."""

    def __init__(self):
        self.reason = None

    def handle(self, signum, frame):
        if signum == signal.SIGINT and self.reason is not None:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now, inside the step
        self.reason = "interrupted" if signum == signal.SIGINT else "terminated (SIGTERM)"

    def on_step_end(self, state):
        if self.reason is not None:
            state.stop = self.reason


def _train(start, out) -> int:
    """Run ``start(callbacks)`` with SIGTERM and Ctrl-C turned into a clean stop after the
    current step; print the metrics and return the exit status."""
    stopper = _StopOnSignal()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, stopper.handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = start([stopper])
    except (ValueError, FileNotFoundError) as e:
        print(f"pinnkit: {e}", file=sys.stderr)
        return 2
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(json.dumps({"status": result.history.status, **result.metrics}, indent=2))
    for k, v in result.problem.unknowns.items():  # what was identified, said in words (stdout stays JSON)
        found = result.metrics.get(f"unknown/{k}")
        truth = result.problem.truth.get(k)
        print(f"pinnkit: {k} = {found:.6g} (started from {v:.6g}" +
              (f"; true value {truth:.6g}, error {abs(found - truth) / abs(truth):.2%})" if truth else ")"),
              file=sys.stderr)
    if any(k.startswith("discovery/coef/") for k in result.metrics):  # the recovered hidden term, in words
        from .discovery import equation_from_metrics

        print(f"pinnkit: hidden term recovered: {equation_from_metrics(result.metrics)}", file=sys.stderr)
    message = result.history.message
    if message in ("interrupted", "terminated (SIGTERM)"):  # saved as stopped; exit as shells expect
        print(f"pinnkit: {message} at step {int(result.history.final.get('step', 0))}"
              + (f"; the run so far is saved in {out}" if out else "")
              + (f"; continue it with: python -m pinnkit resume {out}"
                 if out and (Path(out) / TRAINING_STATE).exists() else ""), file=sys.stderr)
        return 130 if message == "interrupted" else 143
    return 0 if result.history.status != "diverged" else 1


if __name__ == "__main__":
    sys.exit(main())
