"""DeepXDE's Burgers configuration built three ways on the same points and initial weights.

    u_t + u u_x − (0.01/π) u_xx = 0,  x ∈ [−1, 1], t ∈ [0, 1],  u(x, 0) = −sin πx,  u(±1, t) = 0

DeepXDE's example (``examples/pinn_forward/Burgers.py``): ``FNN([2] + [20]*3 + [1], "tanh")``,
``TimePDE(num_domain=2540, num_boundary=80, num_initial=160)``, Adam lr 1e-3. DeepXDE puts
the PDE residual on *all* its sampled points (domain, boundary and initial: 2780) and a
mean-square term for the 80 wall and 160 initial points; every variant below uses exactly
that loss on exactly the same points, and starts from the same weights (pinnkit's
Xavier-uniform MLP without input scaling, copied into the other networks).
"""
from __future__ import annotations

import math
import os

import numpy as np
import torch
from torch import nn

NU = 0.01 / math.pi


def points(num_domain=2540, num_boundary=80, num_initial=160, seed=0):
    """``(interior, walls, initial)`` float64 numpy arrays; the PDE uses all three."""
    rng = np.random.default_rng(seed)
    xi = np.column_stack([rng.uniform(-1, 1, num_domain), rng.uniform(0, 1, num_domain)])
    side = np.where(np.arange(num_boundary) % 2 == 0, -1.0, 1.0)
    xb = np.column_stack([side, rng.uniform(0, 1, num_boundary)])
    x0 = np.column_stack([rng.uniform(-1, 1, num_initial), np.zeros(num_initial)])
    return xi, xb, x0


def pinnkit_problem(xb, x0):
    """pinnkit's Burgers with DeepXDE's two condition terms (walls, initial) on fixed points."""
    from pinnkit import zoo
    from pinnkit.problems.conditions import Data

    p = zoo.get("burgers")
    return p.replace(conditions={"boundary": Data(xb, np.zeros((len(xb), 1))),
                                 "initial": Data(x0, -np.sin(np.pi * x0[:, :1]))},
                     factory=None, hard=None, hard_satisfies=())


class FixedPoints:
    """A pinnkit sampler returning given points (DeepXDE's whole training set)."""

    every = None

    def __init__(self, x):
        self.x = np.asarray(x, float)
        self.num_points = len(self.x)

    def sample(self, domain, rng):
        return self.x.copy()

    def refine(self, *a):  # pragma: no cover - never resampled
        return self.x.copy()

    def __repr__(self):
        return f"FixedPoints({len(self.x)})"


def pinnkit_model(width=20, depth=3, seed=0):
    from pinnkit.models import MLP

    return MLP(2, 1, width, depth, "tanh", seed=seed)


def linears(model) -> list[nn.Linear]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def copy_weights(src, dst) -> None:
    with torch.no_grad():
        for a, b in zip(linears(src), linears(dst)):
            b.weight.copy_(a.weight)
            b.bias.copy_(a.bias)


class PlainStep:
    """A plain PyTorch loop: ``autograd.grad`` twice (u_x, u_t, then u_xx), DeepXDE's loss."""

    def __init__(self, net, xi, xb, x0, lr=1e-3):
        self.net = net
        self.x = torch.as_tensor(np.concatenate([xi, xb, x0]), dtype=torch.float32)
        self.xb = torch.as_tensor(xb, dtype=torch.float32)
        self.x0 = torch.as_tensor(x0, dtype=torch.float32)
        self.u0 = -torch.sin(math.pi * self.x0[:, :1])
        self.opt = torch.optim.Adam(net.parameters(), lr=lr)

    def loss(self):
        x = self.x.detach().requires_grad_(True)
        u = self.net(x)
        (g,) = torch.autograd.grad(u, x, torch.ones_like(u), create_graph=True)
        ux, ut = g[:, :1], g[:, 1:]
        (gxx,) = torch.autograd.grad(ux, x, torch.ones_like(ux), create_graph=True)
        r = ut + u * ux - NU * gxx[:, :1]
        return (r**2).mean() + (self.net(self.xb) ** 2).mean() + ((self.net(self.x0) - self.u0) ** 2).mean()

    def steps(self, n):
        for _ in range(n):
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss()
            loss.backward()
            self.opt.step()
        return float(loss.detach())


def deepxde_model(xi, xb, x0, init_from=None, t_end=1.0):
    """DeepXDE's Burgers example on the given points (as anchors), optionally with weights
    copied from a pinnkit MLP. Needs ``DDE_BACKEND=pytorch`` before the first import."""
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    import deepxde as dde

    geom = dde.geometry.Interval(-1, 1)
    geomtime = dde.geometry.GeometryXTime(geom, dde.geometry.TimeDomain(0, t_end))

    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - NU * dy_xx

    bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    anchors = np.concatenate([xi, xb, x0]).astype(np.float32)
    data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=0, num_boundary=0, num_initial=0, anchors=anchors)
    net = dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal")
    if init_from is not None:
        copy_weights(init_from, net)
    model = dde.Model(data, net)
    return dde, model, net


def deepxde_native(seed=0, t_end=1.0):
    """DeepXDE's example exactly as documented (its own sampling and initialisation)."""
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    import deepxde as dde

    dde.config.set_random_seed(seed)
    geom = dde.geometry.Interval(-1, 1)
    geomtime = dde.geometry.GeometryXTime(geom, dde.geometry.TimeDomain(0, t_end))

    def pde(x, y):
        dy_x = dde.grad.jacobian(y, x, i=0, j=0)
        dy_t = dde.grad.jacobian(y, x, i=0, j=1)
        dy_xx = dde.grad.hessian(y, x, i=0, j=0)
        return dy_t + y * dy_x - NU * dy_xx

    bc = dde.icbc.DirichletBC(geomtime, lambda x: 0, lambda _, on_boundary: on_boundary)
    ic = dde.icbc.IC(geomtime, lambda x: -np.sin(np.pi * x[:, 0:1]), lambda _, on_initial: on_initial)
    data = dde.data.TimePDE(geomtime, pde, [bc, ic], num_domain=2540, num_boundary=80, num_initial=160)
    net = dde.nn.FNN([2] + [20] * 3 + [1], "tanh", "Glorot normal")
    return dde, dde.Model(data, net), net
