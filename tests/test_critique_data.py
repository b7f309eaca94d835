"""Critique data: the exact annotator's critiques name the judge's first wrong step and a hint that fixes
it, critiques survive their text layout, and the MathCritique sample reads into our records."""
import random

import pytest
from hypothesis import given, settings, strategies as st

from supercorrect_nb.critique_data import (MATHCRITIQUE_FILES, CritiqueSample, critic_rows, load_mathcritique, reply_prefix,
                                           resume_prefix)
from supercorrect_nb.data import data_path
from supercorrect_nb.records import Critique, Solution
from supercorrect_nb.steps import critique_record, parse_critique, parse_solution, render_critique
from supercorrect_nb.student import needed_steps, wrong_steps
from supercorrect_nb.testbed import ERRORS, exact_critique, generate, judge_steps, parse_question, step_text


@pytest.fixture(scope='module')
def problems():
    return generate(300, 'train', seed=21, max_steps=6)


def _critique(p, steps) -> Critique:
    text = exact_critique(parse_question(p.question), steps)
    return critique_record(parse_critique(text), p.id, 's', 'exact', len(steps), text)


@settings(max_examples=300, deadline=None)
@given(i=st.integers(0, 299), seed=st.integers(0, 10**6), kind=st.sampled_from(ERRORS), cut=st.booleans())
def test_exact_critique_finds_the_error_and_its_hint_fixes_it(problems, i, seed, kind, cut):
    p = problems[i]
    prog = parse_question(p.question)
    steps = wrong_steps(prog, random.Random(seed), kind)
    c = _critique(p, steps)
    k = judge_steps(prog, steps).first_wrong
    assert c.first_wrong_step == k and c.answer_correct is False
    assert c.step_correct[k:] == [None] * (len(steps) - k)         # nothing after the first wrong step is judged
    fixed = steps[:k - 1] + [c.hint]
    assert judge_steps(prog, fixed).first_wrong is None              # the hint is the step done right
    assert [s.text for s in parse_solution(resume_prefix(steps, c)).steps] == fixed


def test_right_and_unfinished_solutions(problems):
    for p in problems[:100]:
        prog = parse_question(p.question)
        right = [step_text(f, prog.values(), prog.obj) for f in needed_steps(prog)]
        c = _critique(p, right)
        assert (c.first_wrong_step, c.answer_correct, c.hint) == (None, True, None)
        assert resume_prefix(right, c) is None                       # accepted: nothing to refine
        short = _critique(p, right[:-1])                             # right steps that stop short
        assert (short.first_wrong_step, short.answer_correct, short.hint) == (None, False, right[-1])


@settings(max_examples=200, deadline=None)
@given(verdicts=st.lists(st.sampled_from([True, False]), min_size=1, max_size=8), answer=st.sampled_from([True, False, None]),
       hint=st.one_of(st.none(), st.text('abc =+1234 ', min_size=1).map(str.strip).filter(bool)))
def test_critique_text_round_trip(verdicts, answer, hint):
    k = verdicts.index(False) + 1 if False in verdicts else len(verdicts)
    c = Critique(problem_id='p', solution_id='s', producer='m', answer_correct=answer, hint=hint,
                 step_correct=verdicts[:k] + [None] * (len(verdicts) - k),
                 step_explanations=[f'check {i}. {"Correct" if v else "Wrong"}.' for i, v in enumerate(verdicts[:k], 1)] + [''] * (len(verdicts) - k))
    assert critique_record(parse_critique(render_critique(c)), 'p', 's', 'm', len(verdicts)) == c


def test_critic_rows_keep_the_right_share(problems):
    samples = []
    for i, p in enumerate(problems[:50]):
        prog = parse_question(p.question)
        steps = wrong_steps(prog, random.Random(i)) if i % 3 else [step_text(f, prog.values(), prog.obj) for f in needed_steps(prog)]
        sol = Solution(problem_id=p.id, producer='a', text=reply_prefix(steps), steps=steps, correct=True)
        samples.append(CritiqueSample('rg1' if i % 3 else 'right', sol, critique=_critique(p, steps), refinement=sol))
    rows = critic_rows(samples, problems, right_share=0.2)
    wrong = sum(r['way'] != 'right' for r in rows)
    assert wrong == sum(1 for i in range(50) if i % 3) and len(rows) - wrong == round(wrong * 0.2 / 0.8)
    assert all('Reference solution' not in r['prompt'][1]['content'] for r in rows)


@pytest.mark.parametrize('subset', sorted(MATHCRITIQUE_FILES))
def test_mathcritique_sample_reads_whole(subset):
    try: data_path(MATHCRITIQUE_FILES[subset])
    except FileNotFoundError: pytest.skip('the MathCritique sample is not in the data folders')
    got, skipped = load_mathcritique(subset)
    assert len(got) == 100 and skipped == []
    for p, s in got:
        assert p.question and 'Please also give' not in p.question and s.refinement.text
        assert len(s.path.steps) == len(s.critique.step_correct) >= 1
        assert s.critique.answer_correct is not None
