"""The student version of the course: every lesson loses its solution cells and keeps its exercises."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
spec = importlib.util.spec_from_file_location("student_version", ROOT / "scripts" / "student_version.py")
student_version = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_version)


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def test_writes_every_lesson_without_solutions(tmp_path):
    assert student_version.main(["--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    assert written == [p.name for p in LESSONS]
    for lesson in LESSONS:
        full = nbformat.read(lesson, as_version=4)
        student = nbformat.read(tmp_path / lesson.name, as_version=4)
        solutions = [c for c in full.cells if "solution" in tags(c)]
        assert not [c for c in student.cells if "solution" in tags(c)], lesson.name
        assert len(student.cells) == len(full.cells) - len(solutions), lesson.name
        student_text = "\n".join(c.source for c in student.cells)
        for c in solutions:   # no solution's text survives anywhere in the student copy
            assert c.source.strip() not in student_text, (lesson.name, c.source)


@pytest.mark.parametrize("lesson", [p for p in LESSONS if "check_" in p.read_text()], ids=lambda p: p.stem)
def test_each_exercise_keeps_its_placeholder_and_check(lesson):
    """An exercise is ``answer_x = ...``, then its solution, then a check that reads ``answer_x``."""
    student, dropped = student_version.student_copy(nbformat.read(lesson, as_version=4))
    assert dropped >= 2, f"{lesson.name}: a lesson has 2-4 exercises with solutions"
    code = [c.source for c in student.cells if c.cell_type == "code"]
    placeholders = {m.group(1) for src in code for m in re.finditer(r"^(answer_\w+)\s*=\s*\.\.\.", src, re.M)}
    assert len(placeholders) >= 2, lesson.name
    for name in placeholders:
        assert any(re.search(rf"check_\w+\(\s*{name}\b", src) for src in code), f"{lesson.name}: {name} is never checked"


def test_refuses_what_is_not_a_notebook(tmp_path, capsys):
    assert student_version.main(["--out", str(tmp_path), str(ROOT / "README.md")]) == 2
    assert "not a notebook file" in capsys.readouterr().err
