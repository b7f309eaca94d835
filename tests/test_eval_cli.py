"""`supercorrect-eval` on the shipped student over the testbed and a standard-format file: the figures, the per-problem
answers and the report, and a second run served from the store."""
import json
import subprocess
import sys

import pytest

from supercorrect_nb.student import STUDENT_DIR


@pytest.mark.timeout(600)
def test_eval_cli_writes_figures_answers_and_report(tmp_path):
    if not (STUDENT_DIR / 'config.json').exists(): pytest.skip('no shipped student')
    aime = tmp_path / 'aime24' / 'test.jsonl'
    aime.parent.mkdir()
    aime.write_text(''.join(json.dumps({'id': 60 + i, 'problem': f'What is {i} + {i}?', 'question': f'What is {i} + {i}?',
                                        'answer': str(2 * i), 'url': 'u'}) + '\n' for i in range(4)))
    out = tmp_path / 'eval'
    cmd = [sys.executable, '-m', 'supercorrect_nb.evaluation', str(STUDENT_DIR), '--sets', f'testbed,{aime}', '--n', '6', '--k', '2',
           '--max_tokens', '96', '--out', str(out), '--quiet']
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    res = json.loads((out / 'eval.json').read_text())
    assert res['n'] == 10 and set(res['by_set']) == {'testbed/test', 'aime24'}
    assert res['greedy']['ci'][0] <= res['greedy']['acc'] <= res['greedy']['ci'][1]
    assert list(res['sampled']['pass_at']) == ['1', '2'] and res['sampled']['pass_at']['2']['value'] >= res['sampled']['pass_at']['1']['value']
    rows = [json.loads(l) for l in (out / 'answers.jsonl').read_text().splitlines()]
    assert len(rows) == 10 and all(len(r['sample_answers']) == 2 for r in rows)
    assert 'pass@k and maj@k' in (out / 'report.html').read_text() and 'greedy accuracy' in first.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, check=True)  # everything from the store: the same figures
    assert again.stdout == first.stdout


@pytest.mark.timeout(600)
def test_compare_a_model_with_an_evaluation_folder(tmp_path):
    "`--compare A B` with a model as A (evaluated first, into OUT/A) and a folder as B: the same greedy model pairs to a zero difference."
    if not (STUDENT_DIR / 'config.json').exists(): pytest.skip('no shipped student')
    common = ['--sets', 'testbed', '--n', '5', '--max_tokens', '96', '--quiet']
    subprocess.run([sys.executable, '-m', 'supercorrect_nb.evaluation', str(STUDENT_DIR), *common, '--out', str(tmp_path / 'b')], check=True)
    done = subprocess.run([sys.executable, '-m', 'supercorrect_nb.evaluation', '--compare', str(STUDENT_DIR), str(tmp_path / 'b'), *common,
                           '--out', str(tmp_path / 'cmp')], capture_output=True, text=True, check=True)
    c = json.loads((tmp_path / 'cmp' / 'compare.json').read_text())
    assert (tmp_path / 'cmp' / 'A' / 'answers.jsonl').exists() and not (tmp_path / 'cmp' / 'B').exists()
    assert c['n'] == 5 and c['by_set']['all']['diff'] == 0 and c['solved_alone'] == {'a': [], 'b': []}
    assert 'B - A +0.0%' in done.stdout and (tmp_path / 'cmp' / 'compare.html').exists()
