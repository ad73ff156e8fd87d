"""pinnkit.runtime: the allocator setting is applied once, can be turned off, and changes
nothing about results (it only decides when freed memory goes back to the system)."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import resource, torch
    from pinnkit import runtime
    from pinnkit.models import MLP
    from pinnkit.models.engines import taylor_stages
    from pinnkit.models.fused_jet import fused_propagate_jet
    runtime.tune_allocator()  # what train() does first (a no-op with PINNKIT_TUNE_MALLOC=0)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MLP(2, 1, 32, 3, seed=0)
    stages = taylor_stages(model)
    x = torch.rand(4096, 2, requires_grad=True)
    def step():  # one residual-loss step of the fused engine: ~10 MB allocated and freed
        model.zero_grad()
        u, first, second = fused_propagate_jet(stages, x, ((0, 0),))
        loss = ((first[1] + u * first[0] - 0.01 * second[0]) ** 2).mean()
        loss.backward()
        return loss
    for _ in range(20):  # the heap grows to its working size
        step()
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(30):
        loss = step()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / 30
    print(runtime.allocator_tuned(), faults, repr(float(loss)), repr(float(model.net[0].weight.grad.sum())))
""")


def _run(env_value):
    env = {**os.environ, "PINNKIT_TUNE_MALLOC": env_value}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    tuned, faults, loss, grad = out.stdout.split()
    return tuned == "True", float(faults), (float(loss), float(grad))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_tuned_allocator_stops_page_faults_and_changes_no_result():
    tuned, faults, loss = _run("1")
    plain, faults_plain, loss_plain = _run("0")
    assert tuned and not plain
    assert loss == loss_plain  # bit for bit: only memory reuse changed
    # with the setting a step reuses the memory of the previous one; glibc's defaults gave
    # 150-2300 page faults per step here, the setting 0-25 (how many depends on the heap's history)
    assert faults < 50, (faults, faults_plain)


def test_tune_allocator_runs_once_and_reports():
    from pinnkit import runtime

    first = runtime.tune_allocator()
    assert runtime.tune_allocator() is first
    assert runtime.allocator_tuned() is first
