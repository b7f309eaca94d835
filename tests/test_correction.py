"""Locating the first wrong step: ProcessBench sanity runs through the whole review path, and bad replies."""
import re

import pytest

from supercorrect_nb.chat import Chat, FunctionBackend, run_sync
from supercorrect_nb.correction import evaluate_processbench, locate_scores, review
from supercorrect_nb.data import load_processbench
from supercorrect_nb.records import NO_ERROR, Problem, Solution
from supercorrect_nb.steps import ParsedTrace, StepReview, render_trace


def steps_in(messages):
    return re.findall(r'<Step\d+>(.*?)</Step\d+>', messages[-1]['content'].split('Solution to review:\n', 1)[1], re.S)


def locator(subset, rule):
    label_of = {tuple(s.steps): s.first_wrong_step for s in load_processbench(subset)[1]}
    def fn(messages, n, s):
        steps = steps_in(messages)
        k = rule(label_of[tuple(steps)], len(steps))
        reviews = [StepReview(True, 'Correct.') for _ in range((k or len(steps) + 1) - 1)]
        if k: reviews.append(StepReview(False, 'Incorrect.', cause='c', correction='k'))
        return [render_trace(ParsedTrace(reviews, answer='1'))] * n
    return Chat(backend=FunctionBackend(fn, 'scripted'))


# Counted by hand from data/processbench: erroneous solutions, and how many are wrong from step 1.
COUNTS = {'gsm8k': (207, 37, 193), 'math': (594, 114, 406)}


@pytest.mark.parametrize('subset', ['gsm8k', 'math'])
def test_sanity_runs(subset):
    n_err, first, n_ok = COUNTS[subset]
    oracle = evaluate_processbench(locator(subset, lambda l, n: None if l == NO_ERROR else l), subset, progress=False)
    assert (oracle['f1'], oracle['n_erroneous'], oracle['n_correct'], oracle['invalid']) == (1.0, n_err, n_ok, 0)
    never = evaluate_processbench(locator(subset, lambda l, n: None), subset, progress=False)
    assert (never['acc_erroneous'], never['acc_correct'], never['f1']) == (0.0, 1.0, 0.0)
    step1 = evaluate_processbench(locator(subset, lambda l, n: 1), subset, progress=False)
    assert (step1['acc_erroneous'], step1['acc_correct'], step1['f1']) == (first / n_err, 0.0, 0.0)
    last = evaluate_processbench(locator(subset, lambda l, n: n), subset, progress=False)
    assert last['acc_correct'] == 0.0 and 0 < last['acc_erroneous'] < 1


PROB = Problem(id='p', question='What is 2 + 2 + 2?', solution='2 + 2 = 4, 4 + 2 = 6', answer='6')
SOL = Solution(problem_id='p', producer='student', text='', steps=['2 + 2 = 4', '4 + 2 = 7'])


def reviewer(reply):
    return Chat(backend=FunctionBackend(lambda m, n, s: [reply(m)] * n, 'r'))


def test_bad_replies_are_reported_not_raised():
    assert run_sync(review(PROB, SOL.model_copy(update=dict(steps=[])), reviewer(lambda m: 'x'))).error == 'the solution has no steps'
    past = render_trace(ParsedTrace([StepReview(True, 'Correct.')] * 4 + [StepReview(False, 'Incorrect.', 'c', 'k')]))
    r = run_sync(review(PROB, SOL, reviewer(lambda m: past)))
    assert r.trace is None and r.error == 'step 5 named, but the solution has 2 steps' and r.located is None
    r = run_sync(review(PROB, SOL, reviewer(lambda m: 'I think it is fine.')))
    assert r.trace is None and r.error.startswith('unparseable trace: no <Evaluate>')
    calls = []
    def fixes_itself(m):
        calls.append(len(m))
        return 'rubbish' if len(m) == 2 else render_trace(ParsedTrace([StepReview(True, 'Correct.'), StepReview(False, 'Wrong.', 'c', 'k')]))
    r = run_sync(review(PROB, SOL, reviewer(fixes_itself)))  # one re-ask by default
    assert r.located == 2 and calls == [2, 4]


def test_reference_is_shown_only_when_asked():
    seen = []
    chat = reviewer(lambda m: seen.append(m[-1]['content']) or render_trace(ParsedTrace([StepReview(True, 'Correct.')] * 2)))
    assert run_sync(review(PROB, SOL, chat, reference=True)).located == NO_ERROR  # a teacher claiming no error
    run_sync(review(PROB, SOL, chat, reference=False))
    assert 'Reference solution' in seen[0] and '4, 4 + 2 = 6' in seen[0] and 'Reference solution' not in seen[1]


def test_scores_check_lengths():
    with pytest.raises(ValueError, match='2 labels but 1'): locate_scores([1, 2], [1])
