# Root conftest: loaded by every pytest run in this repository, unit tests and nbval alike.
import os

# Quick mode is for tests: notebooks executed by nbval (and papermill inside the tests) inherit
# this and run smoke budgets. Outside the tests PINNKIT_QUICK is unset and notebooks run in full.
os.environ.setdefault("PINNKIT_QUICK", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
# nbval runs kernels in the notebook's folder; keep recorded numbers in one place
os.environ.setdefault("PINNKIT_RESULTS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "build", "results"))

# Each notebook is an .ipynb paired with a jupytext percent-format .py of the same cells. The .py
# is a notebook source, not a test module: never import it (nbval collects the .ipynb).
collect_ignore_glob = ["notebooks/*.py", "notebooks/**/*.py", "gallery/*.py", "gallery/**/*.py"]
