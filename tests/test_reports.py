"""The evaluation's report and a comparison's, opened in headless Chromium with the docs' checks: no request to
another host, no JavaScript error, no local path, no progress bar or warning in an output, every figure drawn.
(The pipeline's report gets the same check on the CI run, in test_pipeline.py.)"""
import json

from supercorrect_nb.chat import Chat, FunctionBackend
from supercorrect_nb.evaluation import compare_evals, evaluate, eval_cli, write_comparison, write_report
from supercorrect_nb.records import Problem

PROBLEMS = [Problem(id=f't/{i}', question=f'What is {i} + {i}?', answer=str(2 * i), source='toy' if i < 4 else 'other', level=1 + i % 3)
            for i in range(8)]


def toy(parity: int):
    "A model right on the questions of one parity; its samples right one time in two."
    def reply(messages, n, seed):
        i = int(messages[-1]['content'].split()[2])
        return [f'<Step1>\nAdd {i} and {i}.\n</Step1>\n<Answer>\\boxed{{{2 * i if (i % 2 == parity or j % 2) else -1}}}</Answer>' for j in range(n)]
    return reply


def test_evaluation_and_comparison_reports_pass_the_browser_check(tmp_path, browser_check):
    for parity in (0, 1):
        res = evaluate(PROBLEMS, Chat(backend=FunctionBackend(toy(parity), f'toy-{parity}')), k=4, review=False, progress=False)
        write_report({**res, 'settings': dict(sets='toy', samples=4, date='2026-12-07 15:00 UTC')}, tmp_path / f'eval{parity}')
    page = (tmp_path / 'eval0' / 'report.html').read_text()
    assert page.index('2026-12-07') < page.index('Greedy accuracy by level') < page.index('id="plotly-figure-1"')
    assert browser_check(tmp_path / 'eval0' / 'report.html') == []
    c = compare_evals(tmp_path / 'eval0', tmp_path / 'eval1')
    assert c['n'] == 8 and set(c['by_set']) == {'all', 'toy', 'other'} and c['by_set']['all']['only_a'] == 4
    assert browser_check(write_comparison(c, tmp_path / 'cmp') / 'compare.html') == []
    eval_cli(compare=[str(tmp_path / 'eval0'), str(tmp_path / 'eval1')], out=str(tmp_path / 'cli'))  # the command, on two folders
    assert json.loads((tmp_path / 'cli' / 'compare.json').read_text())['by_set'] == c['by_set']
