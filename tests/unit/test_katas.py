"""Every kata is complete: a broken dag.py, a check that says what it teaches, a reference
solution kept out of every DAG folder, and docs naming the lesson and the seed section."""
from __future__ import annotations

import ast

import pytest

from airkit import katas

KATAS = katas.all_katas()


def test_there_are_eight_katas_numbered_in_order():
    assert [k.number for k in KATAS] == list(range(1, 9))


@pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.name)
def test_a_kata_has_its_dag_check_and_solution(kata):
    for path in (kata.dag, kata.check, kata.solution):
        assert path.is_file(), f"{path} is missing"
    for name in ("LESSON", "HINT", "EXPECT", "DAG_ID"):
        assert kata.constant(name), f"{kata.check} has an empty {name}"
    dag_id = kata.constant("DAG_ID")
    assert dag_id == f"kata_{kata.name}", "a kata's dag_id is kata_<folder>"
    for path in (kata.dag, kata.solution):
        # Not imported: kata 6's broken version does I/O at import, on purpose.
        source = path.read_text()
        assert f"def {dag_id}()" in source, f"{path} does not define the DAG {dag_id}"
        assert "tags=[" in source and '"kata"' in source


@pytest.mark.parametrize("kata", KATAS, ids=lambda k: k.name)
def test_the_kata_doc_names_its_lesson_and_seed_section(kata):
    doc = ast.get_docstring(ast.parse(kata.dag.read_text()))
    assert "**Lesson:" in doc and "Seed:" in doc and "**Your job:**" in doc, kata.dag
    assert f"make kata N={kata.number}" in doc


def test_the_solution_differs_from_the_exercise():
    same = [k.name for k in KATAS if k.dag.read_text() == k.solution.read_text()]
    assert not same


def test_no_kata_is_in_the_dag_folder():
    from airkit.stack import project

    assert not list(project.dags_dir().glob("kata_*.py")), "a check left a kata in dags/"
