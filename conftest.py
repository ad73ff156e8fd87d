# Notebooks executed by nbval inherit this: quick mode unless the caller says otherwise.
import os

os.environ.setdefault("PINNKIT_QUICK", "1")
os.environ.setdefault("OMP_NUM_THREADS", "2")
