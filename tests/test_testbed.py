"""The testbed's truth: every problem recomputes from its own text; splits never share a problem."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from supercorrect_nb.steps import parse_solution
from supercorrect_nb.testbed import Program, check_truth, generate, parse_question, question_text, random_program


@pytest.fixture(scope='module')
def sets():
    return generate(3000, 'train', seed=7), generate(600, 'test', seed=7)


def test_truth_recomputes(sets):
    train, test = sets
    assert all(check_truth(p) for p in train + test)
    for p in train[:500]:
        sol = parse_solution(p.solution)
        assert sol.ok and sol.warnings == [] and len(sol.steps) == p.level
        prog = parse_question(p.question)
        vals = prog.values()
        assert all(1 <= v <= 50 for n, v in vals.items() if any(f.name == n and f.op != 'has' for f in prog.facts))


def test_splits_are_disjoint_and_seeded(sets):
    train, test = sets
    assert not {p.question for p in train} & {p.question for p in test}
    assert len({p.question for p in train}) == len(train)
    assert generate(20, 'test', seed=7) == test[:20] and generate(20, 'test', seed=8) != test[:20]


def test_difficulty_range(sets):
    train, _ = sets
    assert {p.level for p in train} == set(range(2, 9))
    easy = generate(200, 'train', seed=1, min_steps=2, max_steps=3, distractor=0.0)
    assert {p.level for p in easy} <= {2, 3}
    assert all(len(parse_question(p.question).facts) == len(parse_question(p.question).needed()) for p in easy)


@given(st.integers(0, 10_000), st.integers(2, 8))
@settings(max_examples=300, deadline=None)
def test_text_round_trip(seed, steps):
    prog = random_program(random.Random(seed), steps)
    assert parse_question(question_text(prog)) == prog


@pytest.mark.parametrize('text', ['What is 2 + 2?', 'Ann has 3 apples. Ben likes pears. How many apples does Ben have?',
                                  'Ann has 3 apples. How many coins does Ann have?'])
def test_not_a_testbed_problem(text):
    with pytest.raises(ValueError): parse_question(text)


def test_bad_split():
    with pytest.raises(ValueError, match="split must be"): generate(1, 'dev')
