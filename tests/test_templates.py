"""Stage 1 data: the inspector's rounds on scripted faults, bad input, resumption, the SFT files."""
import json

import pytest

from supercorrect_nb.chat import Chat, FunctionBackend, run_sync
from supercorrect_nb.records import Problem
from supercorrect_nb.steps import HierarchicalSolution, Step, render_solution
from supercorrect_nb.templates import make_templates, save_sft, sft_dataset, sft_rows, template_for

PROBLEMS = [Problem(id=f't/{i}', question=f'Q{i}: what is {i} times 3?', solution=f'{i} * 3 = {3 * i}', answer=str(3 * i),
                    source='unit') for i in range(12)]


def template(answer, note='Multiply.'):
    return render_solution(HierarchicalSolution([Step(f'Multiply: the product is {answer}.', key=note)], 'Multiply the two numbers.',
                                                f'\\boxed{{{answer}}}'))


def problem_of(messages):
    return next(p for p in PROBLEMS if p.question in messages[1]['content'])


def scripted_teacher(messages, n, s):
    "Problems 0-3 pass at once; 4-5 give a wrong answer until revised; 6-7 never use the format; 8-9 are rejected by the inspector once."
    p, revisions = problem_of(messages), (len(messages) - 2) // 2
    i = int(p.id.split('/')[1])
    if i in (4, 5) and revisions == 0: return [template(int(p.answer) + 1)] * n
    if i in (6, 7): return ['Sure! The answer is ' + p.answer] * n
    if i in (8, 9): return [template(p.answer, note=f'Revision {revisions}.')] * n
    return [template(p.answer)] * n


def scripted_inspector(messages, n, s):
    reject = any(f'Q{i}:' in messages[1]['content'] for i in (8, 9)) and 'Revision 0.' in messages[1]['content']
    return ['<Verdict>reject</Verdict><Faults>Step 1 gives no reason.</Faults>' if reject else '<Verdict>accept</Verdict>'] * n


@pytest.fixture
def chats(tmp_path):
    store = tmp_path / 'chat.sqlite'
    return (Chat(backend=FunctionBackend(scripted_teacher, 'teacher'), store=store, stage='templates'),
            Chat(backend=FunctionBackend(scripted_inspector, 'inspector'), store=store, stage='inspection'))


def test_inspector_rounds_on_scripted_faults(chats):
    teacher, inspector = chats
    run = run_sync(make_templates(PROBLEMS, teacher, inspector, progress=False))
    st = run.stats()
    assert st['kept_in_round'] == {1: 6, 2: 4}  # 0-3, 10, 11 at once; 4, 5 (answer) and 8, 9 (inspector) on revision
    assert st['dropped_by_reason'] == {'format': 2}
    assert st['faults_by_round'] == {'1:answer': 2, '1:format': 2, '1:inspector': 2, '2:format': 2, '3:format': 2}
    by_id = {r.problem_id: r for r in run.results}
    assert by_id['t/8'].rounds[0] == ['inspector: Step 1 gives no reason.'] and by_id['t/8'].kept
    assert len(run.solutions()) == 10 and all(s.correct for s in run.solutions())


def test_rounds_are_configurable(chats):
    teacher, inspector = chats
    run = run_sync(make_templates(PROBLEMS, teacher, inspector, rounds=1, progress=False))
    assert run.stats()['dropped_by_reason'] == {'answer': 2, 'format': 2, 'inspector': 2}


def test_rerun_makes_no_calls(chats):
    teacher, inspector = chats
    run_sync(make_templates(PROBLEMS, teacher, inspector, progress=False))
    calls = teacher.ledger.total().calls + inspector.ledger.total().calls
    again = run_sync(make_templates(PROBLEMS, teacher, inspector, progress=False))
    assert teacher.ledger.total().calls + inspector.ledger.total().calls == calls
    assert again.stats()['kept'] == 10


def test_bad_input(chats, tmp_path):
    teacher, inspector = chats
    no_answer = Problem(id='x/1', question='Q99: what is it?', solution='unknown')
    r = run_sync(template_for(no_answer, teacher, inspector))
    assert not r.kept and r.reason == 'no reference answer' and r.rounds == []
    with pytest.raises(ValueError, match='no problems given'): run_sync(make_templates([], teacher))
    with pytest.raises(ValueError, match='nothing to train on'): sft_dataset([])

    def broken(messages, n, s): raise RuntimeError('teacher is down')
    down = Chat(backend=FunctionBackend(broken, 'down'))
    run = run_sync(make_templates(PROBLEMS[:3], down, progress=False))
    assert run.stats()['dropped'] == 3 and all(r.reason.startswith('teacher failed: RuntimeError') for r in run.results)


def test_solve_mode_uses_rejection_sampling(tmp_path):
    p = Problem(id='s/1', question='Q7: what is 7 times 3?', answer='21')  # no reference solution: solve mode
    def sampler(messages, n, s):
        assert 'Reference solution' not in messages[-1]['content'] and n == 4 and s.temperature == 0.7
        return [template(20), 'no format', template(21), template(22)]
    run = run_sync(make_templates([p], Chat(backend=FunctionBackend(sampler)), progress=False))
    assert run.results[0].kept and run.results[0].mode == 'solve' and '\\boxed{21}' in run.results[0].text


def test_sft_files_and_card(chats, tmp_path):
    teacher, inspector = chats
    run = run_sync(make_templates(PROBLEMS, teacher, inspector, progress=False))
    rows = sft_rows(PROBLEMS + PROBLEMS[:2], run)  # duplicates are dropped
    assert len(rows) == 10 and rows[0]['prompt'][0]['role'] == 'system' and rows[0]['completion'][0]['role'] == 'assistant'
    ds = sft_dataset(rows, val_fraction=0.3)
    assert ds['train'].num_rows + ds['validation'].num_rows == 10 and ds['validation'].num_rows > 0
    out = save_sft(ds, tmp_path / 'sft', run)
    card = (out / 'README.md').read_text()
    assert 'teacher: `function:teacher`' in card and '"kept": 10' in card and 'whitespace words' in card
    first = json.loads((out / 'train.jsonl').read_text().splitlines()[0])
    assert set(first) >= {'prompt', 'completion', 'problem_id'}
