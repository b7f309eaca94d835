"""Records and loaders: every record round-trips; every loader maps real files; broken rows say where."""
import json

import pytest

from supercorrect_nb.data import load_gsm8k_model_solutions, load_problems, load_processbench
from supercorrect_nb.records import (NO_ERROR, CorrectionTrace, Critique, Message, PreferencePair, Problem, RecordError,
                                     Solution, from_dataset, read_jsonl, to_dataset, write_jsonl)

EXAMPLES = [
    Problem(id='p', question='q', answer='1', subject='Algebra', level=2),
    Solution(problem_id='p', producer='m', text='t', steps=['a', 'b'], answer='1', correct=True, first_wrong_step=NO_ERROR),
    CorrectionTrace(problem_id='p', solution_id='s', producer='t', verdicts=[True, None, False], first_wrong_step=3,
                    cause='c', correction='k', continuation=['x'], inspector_rounds=2, inspector_verdict='accepted'),
    PreferencePair(problem_id='p', prompt=[Message(role='user', content='q')], chosen='a', rejected='b', k=1),
    Critique(problem_id='p', solution_id='s', producer='c', step_correct=[True, False], step_explanations=['ok', 'no']),
]


@pytest.mark.parametrize('rec', EXAMPLES, ids=lambda r: type(r).__name__)
def test_records_round_trip_jsonl_and_datasets(rec, tmp_path):
    cls = type(rec)
    assert read_jsonl(write_jsonl([rec, rec], tmp_path / 'r.jsonl'), cls) == [rec, rec]
    assert from_dataset(to_dataset([rec]), cls) == [rec]


def test_unknown_fields_are_errors(tmp_path):
    f = tmp_path / 'p.jsonl'
    f.write_text(json.dumps({'id': 'p', 'question': 'q', 'answr': '1'}) + '\n')
    with pytest.raises(RecordError, match=r"p.jsonl:1: field 'answr'"): read_jsonl(f, Problem)


def test_named_sets_load():
    assert len(load_problems('gsm8k', 'test')) == 1319
    m = load_problems('math', 'test')
    assert len(m) == 5000 and all(p.answer and p.subject and p.level in range(1, 6) for p in m)
    m500 = load_problems('math500', 'test')
    assert {p.id for p in m500} <= {p.id for p in m}  # MATH500 is a subset, with the same ids


def test_training_sets_load_from_shared(shared):
    assert len(load_problems('gsm8k', 'train')) == 7473
    train = load_problems('math', 'train')
    assert len(train) == 12000 and sum(p.level is None for p in train) == 2  # two problems at 'Level ?'


@pytest.mark.parametrize('subset,n,erroneous', [('gsm8k', 400, 207), ('math', 1000, 594)])
def test_processbench(subset, n, erroneous):
    probs, sols = load_processbench(subset)
    assert len(probs) == len(sols) == n
    assert sum(s.first_wrong_step != NO_ERROR for s in sols) == erroneous
    assert all(s.first_wrong_step == NO_ERROR or 1 <= s.first_wrong_step <= len(s.steps) for s in sols)


def test_gsm8k_model_solutions(shared):
    probs, sols = load_gsm8k_model_solutions()
    assert len(probs) == 1319 and len(sols) == 4 * 1319 and all(s.correct in (True, False) for s in sols)


BROKEN = [
    ('gsm.jsonl', [{'question': 'a', 'answer': '#### 1'}, {'question': 'b', 'answer': 'no final line'}], 2, 'answer'),
    ('gsm.jsonl', [{'question': 'a', 'answer': '#### 1'}, {'question': 7, 'answer': '#### 2'}], 2, 'question'),
    ('math.jsonl', [{'problem': 'a', 'solution': r'\boxed{1}', 'unique_id': 'u1'}, {'problem': 'b', 'solution': 'none', 'unique_id': 'u2'}], 2, 'answer'),
    ('math.json', [{'problem': 'a', 'solution': r'\boxed{1}', 'unique_id': 'u1'}, {'problem': None, 'solution': r'\boxed{2}', 'unique_id': 'u2'}], 1, 'problem'),
    ('ours.jsonl', [{'id': 'a', 'question': 'q'}, {'id': 'b', 'question': 'q', 'level': 'high'}], 2, 'level'),
]


@pytest.mark.parametrize('name,rows,line,field', BROKEN, ids=[f'{b[0]}-{b[3]}' for b in BROKEN])
def test_broken_rows_name_file_line_field(tmp_path, name, rows, line, field):
    f = tmp_path / name
    f.write_text(json.dumps(rows) if name.endswith('.json') else ''.join(json.dumps(r) + '\n' for r in rows))
    with pytest.raises(RecordError) as e: load_problems(str(f))
    assert (e.value.path, e.value.line, e.value.field) == (str(f), line, field)
    assert f'{name}:{line}' in str(e.value) and field in str(e.value)
    kept = load_problems(str(f), on_error='skip')
    assert len(kept) == 1 and len(kept.skipped) == 1


def test_bad_json_names_the_line(tmp_path):
    f = tmp_path / 'x.jsonl'
    f.write_text('{"question": "a", "answer": "#### 1"}\n{"question": \n')
    with pytest.raises(RecordError, match='x.jsonl:2: not JSON'): load_problems(str(f))


def test_broken_processbench_row(tmp_path):
    f = tmp_path / 'pb.json'
    f.write_text(json.dumps([{'id': 'a', 'problem': 'p', 'steps': ['s1', 's2'], 'label': 5}]))
    with pytest.raises(RecordError, match=r"pb.json:0: field 'label'"): load_processbench(path=f)


def test_hub_path_goes_through_load_dataset(tmp_path):
    "A folder (or a hub id) is read by datasets.load_dataset, then mapped like a file."
    d = tmp_path / 'gsm8k_like'
    d.mkdir()
    (d / 'test.jsonl').write_text(''.join(json.dumps({'question': f'q{i}', 'answer': f'#### {i}'}) + '\n' for i in range(5)))
    probs = load_problems(str(d), split='test')
    assert [p.id for p in probs] == [f'gsm8k_like/test/{i}' for i in range(5)] and probs[3].answer == '3'
    d2 = tmp_path / 'pb_like'
    (d2 / 'data').mkdir(parents=True)  # the hub's layout: one file per split, named by the split
    (d2 / 'data' / 'gsm8k-00000-of-00001.jsonl').write_text(json.dumps({'id': 'g-0', 'problem': 'p', 'steps': ['a'], 'label': -1,
                                                'final_answer_correct': True, 'generator': 'm'}) + '\n')
    probs, sols = load_processbench('gsm8k', path=d2)
    assert sols[0].first_wrong_step == NO_ERROR and probs[0].id == 'processbench/g-0'
