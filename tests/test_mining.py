"""Stage 2 mining: the inspector's rounds on scripted faults, the pair rules, and bad input counted, never raised."""

import pytest

from supercorrect_nb.chat import Chat, FunctionBackend
from supercorrect_nb.mining import make_pair, mine, save_pairs
from supercorrect_nb.records import Problem
from supercorrect_nb.steps import ParsedTrace, StepReview, render_trace

PROBS = [Problem(id=f'm/{i}', question=f'Q{i}: add {i} and {i + 1}, then double it.', solution=f'{i} + {i + 1} = {2 * i + 1}; x2',
                 answer=str(2 * (2 * i + 1)), subject='arith', level=2) for i in range(10)]


def prob(text): return next(p for p in PROBS if p.question in text)


def student(messages, n, s):
    p, user = prob(messages[-1]['content']), messages[-1]['content']
    i = int(p.id.split('/')[1])
    if 'Solution to review' in user:  # its own review: it always blames step 2, with its own words
        return [render_trace(ParsedTrace([StepReview(True, 'Correct.'), StepReview(False, 'Incorrect.', 'I doubled badly.', 'fix it')]))] * n
    if i == 9: return ['I do not know.'] * n  # a wrong solution with no steps
    return [f'<Step1>{i} + {i + 1} = {2 * i + 1}</Step1><Step2>{2 * i + 1} x 2 = {4 * i + 3}</Step2><Answer>{4 * i + 3}</Answer>'] * n


def good_trace(p, name='teacher'):
    return render_trace(ParsedTrace([StepReview(True, 'Correct.'), StepReview(False, 'Incorrect.', f'Doubling adds one too many ({name}).',
                                                                            f'x 2 = {p.answer}')], answer=f'\\boxed{{{p.answer}}}'))


def teacher(messages, n, s):
    """Per problem: 0-3 right at once; 4 claims no error first; 5 gets the final answer wrong first; 6 names a step past
    the end first; 7 is unparseable every time; 8 is rejected by the inspector once."""
    p, rev = prob(messages[1]['content']), (len(messages) - 2) // 2
    i = int(p.id.split('/')[1])
    if i == 4 and rev == 0: return [render_trace(ParsedTrace([StepReview(True, 'Correct.')] * 2, answer='1'))] * n
    if i == 5 and rev == 0: return [good_trace(p).replace(f'{{{p.answer}}}', '{0}')] * n
    if i == 6 and rev == 0: return [render_trace(ParsedTrace([StepReview(True, 'Correct.')] * 4 + [StepReview(False, 'Bad.', 'c', 'k')]))] * n
    if i == 7: return ['Looks wrong to me.'] * n
    return [good_trace(p, f'teacher r{rev}')] * n


def inspector(messages, n, s):
    reject = 'Q8:' in messages[1]['content'] and 'teacher r0' in messages[1]['content']
    return ['<Verdict>reject</Verdict><Faults>The cause does not name the doubling.</Faults>' if reject else '<Verdict>accept</Verdict>'] * n


@pytest.fixture
def run(tmp_path):
    store = tmp_path / 'c.sqlite'
    chats = [Chat(backend=FunctionBackend(f, name), store=store, stage=name) for f, name in
             ((student, 'student'), (teacher, 'teacher'), (inspector, 'inspector'))]
    return mine(PROBS, *chats, n=2, progress=False)


def test_inspector_rounds_and_bad_input_are_counted(run):
    st = run.stats
    assert (st['samples'], st['wrong'], st['wrong_without_steps']) == (20, 20, 2)
    assert st['traces_kept_in_round'] == {1: 8, 2: 8}  # 4-6 and 8 need a second round (2 samples each)
    assert st['traces_dropped'] == {'format': 2}       # 7: never parses
    assert st['faults_by_round'] == {'1:answer': 2, '1:format': 4, '1:inspector': 2, '1:verdict': 2, '2:format': 2, '3:format': 2}
    assert st['pair_rules'] == {'student blamed the same step': 16}
    assert st['pairs'] == 8 and st['duplicates_removed'] == 8  # the two samples of a problem are the same solution
    assert st['pairs_by_k'] == {2: 8} and st['pairs_by_level'] == {'2': 8}
    accepted = [t for t in run.traces if t.inspector_rounds == 2]
    assert accepted and all(t.inspector_verdict == 'accepted' for t in accepted)


def test_pair_prompt_and_sides(run):
    pp = run.pairs[0]
    assert pp.k == 2 and 'Step 1 is right. Evaluate step 2' in pp.prompt[-1].content and '<Step3>' not in pp.prompt[-1].content
    assert '<Cause>Doubling adds one too many' in pp.chosen and '<Cause>I doubled badly.</Cause>' in pp.rejected
    assert pp.to_trl()['chosen'] == [{'role': 'assistant', 'content': pp.chosen}]


def test_pair_rules(run):
    p, sol = PROBS[0], run.solutions[0]
    t = next(t for t in run.traces if t.solution_id == sol.id)
    from supercorrect_nb.correction import Review
    same = Review(t.model_copy(update=dict(producer='student')))
    assert make_pair(p, sol, t, same) == (None, 'student said the same as the teacher')
    earlier = Review(t.model_copy(update=dict(first_wrong_step=1, producer='student')))
    assert make_pair(p, sol, t, earlier) == (None, 'student blamed an earlier step')
    missed = Review(t.model_copy(update=dict(first_wrong_step=None, producer='student')))
    pair, rule = make_pair(p, sol, t, missed)
    assert rule == 'student missed the error' and '<Evaluate>Correct.</Evaluate>' in pair.rejected
    unusable, rule = make_pair(p, sol, t, Review(None, 'unparseable'))  # no review in the format: it found nothing wrong
    assert rule == 'student review unusable: taken as missing the error' and '<Evaluate>Correct.</Evaluate>' in unusable.rejected
    assert unusable.rejected_producer == sol.producer


def test_save_and_empty(run, tmp_path):
    out = save_pairs(run, tmp_path / 'pairs', val_fraction=0.3, teacher='t', student='s')
    assert (out / 'train.parquet').exists() and '"pairs": 8' in (out / 'README.md').read_text()
    with pytest.raises(ValueError, match='no problems given'): mine([], *[Chat(backend=FunctionBackend(student))] * 3)


def test_a_raising_solution_is_recorded_and_the_run_goes_on():
    class Down:  # an inspector whose every call raises, past the Chat's own error handling
        model_id = 'down'
        async def chat(self, *a, **k): raise RuntimeError('inspector down')
    st = mine(PROBS, Chat(backend=FunctionBackend(student, 'student')), Chat(backend=FunctionBackend(teacher, 'teacher')), Down(),
              n=1, progress=False).stats
    assert st['traces_kept'] == 0 and st['traces_dropped'] == {'error: RuntimeError: inspector down': 8, 'format': 1}
    assert st['pairs'] == 0 and st['pair_rules'] == {}
