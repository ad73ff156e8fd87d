"""Loading a run never runs code: a crafted ``model.pt`` is refused before anything in it
executes; empty, truncated and foreign files are refused with the file's name."""
import os
import pickle

import pytest
import torch

from pinnkit import zoo
from pinnkit.models import build_model
from pinnkit.training import load_checkpoint, save_checkpoint


class _Payload:
    """Unpickling this calls ``open(marker, "w")`` — what an attack would do with os.system."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _model():
    return build_model(zoo.get("burgers"), width=8, depth=2, seed=0)


def test_roundtrip_restores_the_weights(tmp_path):
    a, b = _model(), build_model(zoo.get("burgers"), width=8, depth=2, seed=1)
    save_checkpoint(tmp_path / "model.pt", a, 17, {"unknowns": {"nu": 0.01}})
    ckpt = load_checkpoint(tmp_path / "model.pt", b)
    assert ckpt["step"] == 17 and ckpt["unknowns"] == {"nu": 0.01}
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_crafted_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save({"model": _model().state_dict(), "step": 0, "x": _Payload(str(marker))}, path)
    with pytest.raises(ValueError, match="model.pt: refused"):
        load_checkpoint(path, _model())
    assert not marker.exists(), "loading a checkpoint ran code from it"


def test_empty_truncated_and_foreign_files_name_the_file(tmp_path):
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.pt: the checkpoint file is empty"):
        load_checkpoint(empty, _model())
    good = tmp_path / "good.pt"
    save_checkpoint(good, _model(), 1)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[: os.path.getsize(good) // 2])
    with pytest.raises(ValueError, match="cut.pt"):
        load_checkpoint(cut, _model())
    foreign = tmp_path / "foreign.pt"
    torch.save([1, 2, 3], foreign)
    with pytest.raises(ValueError, match="foreign.pt: not a pinnkit checkpoint"):
        load_checkpoint(foreign, _model())
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt", _model())


def test_run_files_get_the_mode_of_an_ordinary_file(tmp_path):
    from pinnkit.training.history import atomic_write_text

    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    atomic_write_text(tmp_path / "history.json", "{}")
    save_checkpoint(tmp_path / "model.pt", _model(), 0)
    want = ordinary.stat().st_mode & 0o777
    assert (tmp_path / "history.json").stat().st_mode & 0o777 == want
    assert (tmp_path / "model.pt").stat().st_mode & 0o777 == want


def _crafted_run_folder(tmp_path):
    """A real (tiny) run folder whose model.pt is replaced by a pickle that writes a file."""
    from pinnkit.recipes import RunConfig, run

    cfg = RunConfig(problem="burgers", width=8, depth=2, num_points=32, condition_points=8, steps=1, eval_every=1,
                    threads=1)
    folder = tmp_path / "student_run"
    result = run(cfg, out=folder, progress=False)
    marker = tmp_path / "pwned"
    torch.save({"model": result.model.state_dict(), "step": 1, "x": _Payload(str(marker))}, folder / "model.pt")
    return cfg, folder, marker


def test_a_crafted_run_folder_runs_nothing_in_show_load_run_or_the_run_store(tmp_path, capsys):
    """A teacher opening a student's run folder — ``pinnkit show``, ``pinnkit.load_run`` or a
    sweep's run store that holds it — gets a refusal naming model.pt; nothing in it runs."""
    from pinnkit.__main__ import main
    from pinnkit.recipes import load_run
    from pinnkit.sweep import RunStore

    cfg, folder, marker = _crafted_run_folder(tmp_path)
    assert main(["show", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "model.pt: refused" in err and "Traceback" not in err
    with pytest.raises(ValueError, match="model.pt: refused"):
        load_run(folder)
    store = RunStore(tmp_path / "store")
    store.path.mkdir()
    os.replace(folder, store.folder(cfg))
    assert store.has(cfg)
    with pytest.raises(ValueError, match="model.pt: refused"):
        store.load(cfg)
    assert not marker.exists(), "opening a run folder ran code from its model.pt"
