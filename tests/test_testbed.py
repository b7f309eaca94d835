"""The testbed's truth: every problem recomputes from its own text; splits never share a problem."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from supercorrect_nb.steps import parse_solution
from supercorrect_nb.testbed import check_truth, generate, parse_question, question_text, random_program


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


def test_apply_op_is_whole_number_arithmetic():
    assert [apply_op(op, 12, 4) for op in '+-*/'] == [16, 8, 48, 3]
    assert apply_op('/', 7, 2) is None and apply_op('/', 7, 0) is None and apply_op('-', 2, 5) == -3


def test_bad_split():
    with pytest.raises(ValueError, match="split must be"): generate(1, 'dev')


# The exact teacher --------------------------------------------------------------------------------
import re as _re

from supercorrect_nb.chat import Chat, FunctionBackend, run_sync
from supercorrect_nb.mining import mine
from supercorrect_nb.steps import parse_trace
from supercorrect_nb.templates import make_templates
from supercorrect_nb.testbed import apply_op, exact_review, exact_teacher, judge_steps


def plant(step: str, kind: str) -> str:
    "An error in a reference step: a slip in the arithmetic, or a wrong operand with right arithmetic."
    m = _re.search(r'has (\d+) ([-+*/]) (\d+) = (-?\d+)', step)
    a, op, b, v = int(m[1]), m[2], int(m[3]), int(m[4])
    if kind == 'slip': return step.replace(f'= {v} ', f'= {v + 1} ')
    a2 = a * b if op == '/' else a + 1  # keeps a division exact
    return step.replace(m[0], f'has {a2} {op} {b} = {apply_op(op, a2, b)}')


@given(st.integers(0, 5000), st.integers(0, 7), st.sampled_from(['slip', 'operand']))
@settings(max_examples=300, deadline=None)
def test_exact_teacher_localizes_planted_errors(seed, j, kind):
    p = generate(1, 'train', seed=seed)[0]
    prog, steps = parse_question(p.question), [s.text for s in parse_solution(p.solution).steps]
    assert judge_steps(prog, steps).first_wrong is None
    j = j % len(steps)
    bad = steps[:j] + [plant(steps[j], kind)] + steps[j + 1:]
    trace = parse_trace(exact_review(prog, bad))
    assert trace.first_wrong_step == j + 1
    assert trace.reviews[j].correction == steps[j]                   # the correction is the reference step
    assert [s.text for s in trace.continuation] == steps[j + 1:]     # and the rest of the solution follows
    assert trace.answer == f'\\boxed{{{p.answer}}}'


def test_stages_run_unchanged_with_the_exact_teacher(tmp_path):
    problems = generate(24, 'train', seed=3, max_steps=4)
    teacher = Chat(backend=FunctionBackend(exact_teacher, 'exact'), store=tmp_path / 'c.sqlite', stage='teacher')
    run = run_sync(make_templates(problems, teacher, teacher, progress=False))
    assert run.stats()['kept_in_round'] == {1: 24}
    refs = {p.question: [s.text for s in parse_solution(p.solution).steps] for p in problems}

    def student(messages, n, s):  # slips in the last step of every other problem; its own review sees nothing
        user = messages[-1]['content']
        if 'Solution to review' in user:
            k = len(_re.findall(r'<Step\d+>', user))
            return ['\n'.join(f'<Step{i}><Evaluate>Correct.</Evaluate></Step{i}>' for i in range(1, k + 1))] * n
        q = user.strip()
        steps = refs[q][:]
        if sum(map(ord, q)) % 2: steps[-1] = plant(steps[-1], "slip")
        body = '\n'.join(f'<Step{i}>{t}</Step{i}>' for i, t in enumerate(steps, 1))
        v = _re.search(r'= (-?\d+) ', steps[-1])[1]
        return [f'{body}\n<Answer>\\boxed{{{v}}}</Answer>'] * n

    mined = mine(problems, Chat(backend=FunctionBackend(student, 'student')), teacher, teacher, n=1, progress=False)
    st_ = mined.stats
    assert st_['wrong'] > 0 and st_['traces_kept'] == st_['wrong'] and st_['traces_kept_in_round'] == {1: st_['wrong']}
    assert st_['pairs'] == st_['wrong'] and st_['pair_rules'] == {'student missed the error': st_['wrong']}
    assert all(pp.k == len(refs[by_q]) for pp in mined.pairs for by_q in [next(p.question for p in problems if p.id == pp.problem_id)])
