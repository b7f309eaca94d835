"""The pipeline notebook, run for real under papermill with the tiny CI preset, then resumed, then run again with a
changed DPO setting: only the steps after it are redone, their old results kept aside. A run killed mid-step and
resumed, and a run at another student batch size, end with the metrics of the uninterrupted run."""
import copy
import json
import signal
import sqlite3
import subprocess
import sys
import time


import nbformat
import pytest

from supercorrect_nb.pipeline import headline, pipeline_config, run_pipeline
from supercorrect_nb.student import STUDENT_DIR

STEPS = ['eval_pretrained', 'sft_data', 'train_hsft', 'eval_hsft', 'train_sft', 'eval_sft', 'train_sft_cot', 'eval_sft_cot',
         'pairs_data', 'train_dpo', 'eval_dpo',
         'selfcorrect_hsft', 'selfcorrect_dpo', 'process_bench_data', 'process_bench',
         'critique_data', 'train_critic', 'critic_bench', 'critique_refine', 'self_improve', 'self_talk']  # in the order they run


@pytest.fixture(scope='module')
def baseline(tmp_path_factory):
    "The uninterrupted `testbed-ci` run: its runs folder and (a copy of) its metrics."
    if not (STUDENT_DIR / 'config.json').exists(): pytest.skip('no shipped student')
    runs = tmp_path_factory.mktemp('baseline')
    return runs, copy.deepcopy(run_pipeline('testbed-ci', runs_dir=str(runs), progress=False))


TIMES = {'seconds', 'wall_minutes', 'compute_minutes'}


def figures(m, runs: str, skip=frozenset(), at='') -> dict:
    "The metrics as {path: value}, without times or the keys in `skip`; the runs folder `runs` read as `<runs>`."
    if isinstance(m, dict):
        return {k: v for key, x in m.items() if key not in TIMES | skip for k, v in figures(x, runs, skip, f'{at}/{key}').items()}
    if isinstance(m, list): return {k: v for i, x in enumerate(m) for k, v in figures(x, runs, skip, f'{at}[{i}]').items()}
    return {at: m.replace(runs, '<runs>') if isinstance(m, str) else m}


def differences(a: tuple, b: tuple, skip=frozenset()) -> list[str]:
    "Where two runs' (runs folder, metrics) differ, times aside."
    fa, fb = figures(a[1], str(a[0]), skip), figures(b[1], str(b[0]), skip)
    return sorted(f'{k}: {fa.get(k)!r} | {fb.get(k)!r}' for k in fa.keys() | fb.keys() if fa.get(k) != fb.get(k))


@pytest.mark.timeout(1500)
def test_pipeline_runs_resumes_and_redoes_what_a_setting_changes(baseline, capfd, browser_check):
    tmp_path, m = baseline
    d = tmp_path / 'testbed-ci'
    for f in ('pipeline.ipynb', 'pipeline.html', 'figures.html', 'metrics.json', 'config.yaml', 'calls.sqlite',
              'sft/train.parquet', 'sft_plain/train.parquet', 'sft_cot/train.parquet', 'pairs/train.parquet', 'hsft/final/model.safetensors',
              'plain_sft/final/model.safetensors', 'cot_sft/final/model.safetensors', 'cross_dpo/final/model.safetensors',
              'eval/pretrained.jsonl', 'eval/sft.jsonl', 'eval/sft_cot.jsonl',
              'eval/dpo.jsonl', 'process_bench/testbed.json'):
        assert (d / f).exists(), f
    assert sorted(p.stem for p in (d / 'steps').glob('*.json')) == sorted(STEPS)
    cfg = pipeline_config('testbed-ci')
    for k in ('pretrained', 'sft', 'sft_cot', 'hsft', 'dpo'):
        e = m[f'eval_{k}']
        assert e['n'] == cfg.n_test and e['ci'][0] <= e['acc'] <= e['ci'][1]  # every accuracy has its interval
    for k in ('hsft', 'dpo'): assert m[f'selfcorrect_{k}']['delta_ci'][0] <= m[f'selfcorrect_{k}']['delta'] <= m[f'selfcorrect_{k}']['delta_ci'][1]
    assert set(m['paired']) == {'hsft_vs_sft_cot', 'hsft_vs_sft', 'hsft_vs_pretrained', 'dpo_vs_hsft', 'dpo_vs_pretrained'}  # stages compared problem by problem
    assert abs(m['paired']['dpo_vs_hsft']['diff'] - (m['eval_dpo']['acc'] - m['eval_hsft']['acc'])) < 1e-9
    assert m['mining']['samples'] == cfg.n_mine * cfg.samples and m['mining']['pairs'] >= 1
    rows = m['sft_data']['rows']
    assert rows['train'] + rows.get('validation', 0) == cfg.n_sft + int(cfg.rehearsal * cfg.n_sft)  # the exact teacher keeps all
    sc = m['selfcorrect_dpo']
    assert abs(sc['delta'] - (sc['delta_i_to_c'] - sc['delta_c_to_i'])) < 1e-9 and sc['n'] == cfg.n_test
    assert len(m['train_hsft']['losses']) >= 1 and len(m['train_dpo']['losses']) >= 1
    pb = m['process_benchmark']['reviewers']  # the testbed process benchmark: the exact teacher is perfect on it
    assert set(pb) == {'exact', 'hsft', 'dpo'} and (pb['exact']['n'] == 0 or pb['exact']['f1'] == 1.0)
    assert pb['exact']['n_erroneous'] == pb['exact']['n_correct']  # balanced
    c = m['critique']  # MathCritique: data three ways, the critic on the benchmark, and critique→refine at equal budgets
    assert all(set(c['data'][w]) >= {'total', 'kept'} and c['data'][w]['kept'] <= c['data'][w]['total'] for w in ('rg1', 'rg2', 'rg3'))
    assert 0 <= c['critic_f1'] <= 1 and c['critic_bench']['n'] == pb['exact']['n']
    assert [b['k'] for b in c['budgets']] == cfg.critique['budgets'] and all(b['diff_ci'][0] <= b['diff'] <= b['diff_ci'][1] for b in c['budgets'])
    assert (d / 'critique' / 'samples.jsonl').exists() and (d / 'critic' / 'final' / 'model.safetensors').exists()
    assert 'critique→refine with the critic, 3 generations' in headline(m) and c['teacher']['budgets'][0]['k'] == 3
    si = m['self_improve']  # critique-in-the-loop against vanilla: two iterations, both ways evaluated and compared per bucket
    assert len(si['iterations']) == 2 and all({'vanilla', 'critique', 'diff', 'hard_diff_ci'} <= set(it) for it in si['iterations'])
    for it in si['iterations']:
        assert it['vanilla']['samples'] == it['critique']['samples'] == cfg.self_improve['problems'] * cfg.self_improve['n']
        assert it['critique']['generations'] >= it['vanilla']['generations'] and it['diff']['all']['n'] == cfg.self_improve['test_problems']
        for w in ('vanilla', 'critique'): assert (d / 'self_improve' / f"{w}-{it['t']}" / 'final' / 'model.safetensors').exists()
    first = si['iterations'][0]  # the same samples both ways: critique-in-the-loop keeps all vanilla keeps, and its repairs
    assert first['critique']['coverage']['hard']['covered'] >= first['vanilla']['coverage']['hard']['covered']
    st = m['self_talk']  # self-talk: trained on the kept critique samples, scored paired with the actor
    assert st['rows'] >= 1 and 0 <= st['acc'] <= 1 and st['vs_actor']['n'] == cfg.self_talk['test_problems']
    assert 'self-talk' in headline(m) and 'hard training problems' in headline(m)
    nb = nbformat.read(d / 'pipeline.ipynb', as_version=4)
    assert any('parameters' in c.metadata.get('tags', []) for c in nb.cells)
    assert any(o.get('name') == 'stderr' for c in nb.cells for o in c.get('outputs', []))  # the notebook ran with bars and logs,
    page = (d / 'pipeline.html').read_text()  # and its report holds none of them: the headline first, then the stages
    assert page.index('Headline') < page.index('id="plotly-figure-1"') < page.index('>Steps<') < page.index('1. The student')
    assert browser_check(d / 'pipeline.html') == []
    assert 'Acc@t1' in headline(m) and 'pairs mined' in headline(m)
    assert '[cell ' in (d / 'log.txt').read_text()  # what the cells printed is in the log, not on the console
    root = str(STUDENT_DIR.resolve().parent.parent)
    assert root not in (d / 'metrics.json').read_text()  # (the executed notebook still holds some: issue 13)

    # Again: every step is read back, nothing retrains, and the numbers are the same.
    mtime = (d / 'hsft' / 'final' / 'model.safetensors').stat().st_mtime_ns
    m2 = run_pipeline('testbed-ci', runs_dir=str(tmp_path), progress=False)
    out = '\n'.join(o.get('text', '') for c in nbformat.read(d / 'pipeline.ipynb', as_version=4).cells for o in c.get('outputs', []))
    read_back = next(line for line in out.splitlines() if line.startswith('read back from earlier runs'))
    assert read_back.split(': ', 1)[1].split(', ') == STEPS
    assert (d / 'hsft' / 'final' / 'model.safetensors').stat().st_mtime_ns == mtime
    assert {k: m2[k] for k in m2 if k.startswith(('eval_', 'selfcorrect_'))} == {k: m[k] for k in m if k.startswith(('eval_', 'selfcorrect_'))}

    # A changed DPO setting: DPO and the three steps that read its model are redone, the rest read back.
    dpo = {**cfg.dpo, 'beta': 0.3}
    capfd.readouterr()
    before = len((d / 'progress.jsonl').read_text().splitlines())
    run_pipeline('testbed-ci', runs_dir=str(tmp_path), progress=True, dpo=dpo)
    events = [json.loads(l) for l in (d / 'progress.jsonl').read_text().splitlines()][before:]
    redone = [e['step'] for e in events if e['event'] == 'redo']
    assert redone == ['train_dpo', 'eval_dpo', 'selfcorrect_dpo', 'process_bench']
    assert [e['step'] for e in events if e['event'] == 'skipped'] == [s for s in STEPS if s not in redone]
    assert 'dpo changed; redoing it' in events[[e['event'] for e in events].index('redo')]['note']
    assert len(list(tmp_path.glob('testbed-ci/cross_dpo.*/final/model.safetensors'))) == 1  # the old model, kept aside
    assert len(list((d / 'steps').glob('train_dpo.*.json'))) == 1
    assert json.loads((d / 'steps' / 'train_dpo.json').read_text())['settings']['dpo']['beta'] == 0.3
    console = capfd.readouterr().err
    assert 'train_dpo         dpo changed' in console and 'eval_hsft         done before' in console
    lines = [l.split('\r')[-1] for l in console.split('\n') if l.strip()]
    assert len(lines) < 30 and 'warning' not in console.lower() and 'it/s]' not in console, lines


@pytest.mark.timeout(900)
def test_mathcritique_runs_alone(tmp_path):
    "MathCritique without SuperCorrect: no HSFT, DPO or self-correction; the process benchmark from the plain-SFT student."
    if not (STUDENT_DIR / 'config.json').exists(): pytest.skip('no shipped student')
    m = run_pipeline('testbed-ci', runs_dir=str(tmp_path), progress=False, supercorrect=False, self_improve=None, self_talk=None)
    d = tmp_path / 'testbed-ci'
    ran = sorted(p.stem for p in (d / 'steps').glob('*.json'))
    assert ran == sorted(['eval_pretrained', 'sft_data', 'train_sft', 'eval_sft', 'process_bench_data', 'process_bench',
                          'critique_data', 'train_critic', 'critic_bench', 'critique_refine'])
    assert not (d / 'hsft').exists() and set(m['process_benchmark']['reviewers']) == {'exact'}
    assert m['critique']['critic_bench']['n'] == m['process_benchmark']['reviewers']['exact']['n'] and 'self-talk' not in headline(m)


def kill_tree(pid: int):
    "SIGKILL a process and all its children (the papermill kernel too), as a preempted machine would."
    import psutil
    procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    for p in procs:
        try: p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess: pass


def stored(store, stage: str) -> int:
    "The samples of `stage` in a run's store so far (0 before it exists)."
    if not store.exists(): return 0
    with sqlite3.connect(f'file:{store}?mode=ro', uri=True, timeout=30) as db:
        try: return db.execute('SELECT COUNT(*) FROM responses WHERE stage = ?', (stage,)).fetchone()[0]
        except sqlite3.OperationalError: return 0


@pytest.mark.timeout(1800)  # (with the baseline's run, when this test runs alone)
def test_a_run_killed_mid_step_and_resumed_ends_as_the_uninterrupted_one(baseline, tmp_path):
    "Killed while mining (some of the student's samples stored, the rest not), then resumed: the same metrics."
    code = f"from supercorrect_nb.pipeline import run_pipeline; run_pipeline('testbed-ci', runs_dir={str(tmp_path)!r}, progress=False)"
    p = subprocess.Popen([sys.executable, '-c', code], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store, t0, total = tmp_path / 'testbed-ci' / 'calls.sqlite', time.time(), 16 * 2  # testbed-ci mines 16 problems, 2 samples each
    while p.poll() is None and stored(store, 'mine') < 4:
        if time.time() - t0 > 900: kill_tree(p.pid); pytest.fail('no mining samples stored within 15 minutes')
        time.sleep(0.02)
    assert p.poll() is None, 'the run ended before it could be killed'
    kill_tree(p.pid); p.wait()
    assert 4 <= stored(store, 'mine') < total  # some of the student's samples stored, not all
    done = [json.loads(l) for l in (tmp_path / 'testbed-ci' / 'progress.jsonl').read_text().splitlines()]
    assert not any(e['step'] == 'pairs_data' and e['event'] == 'done' for e in done)  # killed inside the step
    m = run_pipeline('testbed-ci', runs_dir=str(tmp_path), progress=False)
    assert differences(baseline, (tmp_path, m)) == []  # model tags (weights' hashes) and step fingerprints too


@pytest.mark.timeout(1800)
def test_the_student_batch_size_changes_no_figure(baseline, tmp_path):
    m = run_pipeline('testbed-ci', runs_dir=str(tmp_path), progress=False, student_chat=dict(batch_size=7, concurrency=4096, retry_empty=False))
    assert differences(baseline, (tmp_path, m), skip={'settings', 'config'}) == []  # (the settings name the batch size)
