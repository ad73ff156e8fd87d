# Notebooks executed by nbval inherit this: quick mode unless the caller says otherwise.
import os

os.environ.setdefault("PINNKIT_QUICK", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
# nbval runs kernels in the notebook's folder; keep recorded numbers in one place
os.environ.setdefault("PINNKIT_RESULTS", os.path.join(os.path.dirname(os.path.abspath(__file__)), "build", "results"))
