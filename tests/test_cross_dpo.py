"""Cross-model DPO end to end on the CPU: mine pairs with a scripted teacher, train, and watch the margin grow."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from supercorrect_nb.chat import Chat, FunctionBackend
from supercorrect_nb.training import load_splits, train, train_config
from supercorrect_nb.fakes import tiny_chat_model
from supercorrect_nb.mining import mine, save_pairs
from supercorrect_nb.records import Problem
from supercorrect_nb.steps import ParsedTrace, StepReview, render_trace

ROOT = Path(__file__).resolve().parent.parent
PROBS = [Problem(id=f'd/{i}', question=f'Q{i}: what is {i} + {i}?', solution=f'{i} + {i} = {2 * i}', answer=str(2 * i)) for i in range(40)]


def prob(text): return next(p for p in PROBS if p.question in text)


def student(messages, n, s):
    p, user = prob(messages[-1]['content']), messages[-1]['content']
    i = int(p.id.split('/')[1])
    if 'Solution to review' in user:  # the student misses its own slip
        return [render_trace(ParsedTrace([StepReview(True, 'Correct.')], answer=f'{2 * i + 1}'))] * n
    return [f'<Step1>{i} + {i} = {2 * i + 1}</Step1><Answer>{2 * i + 1}</Answer>'] * n  # always one too many


def teacher(messages, n, s):
    p = prob(messages[1]['content'])
    i = int(p.id.split('/')[1])
    return [render_trace(ParsedTrace([StepReview(False, 'Incorrect.', f'{i} + {i} is {2 * i}, not {2 * i + 1}.', f'{i} + {i} = {2 * i}')],
                                     answer=f'\\boxed{{{2 * i}}}'))] * n


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp('dpo')
    run = mine(PROBS, Chat(backend=FunctionBackend(student, 's')), Chat(backend=FunctionBackend(teacher, 't')), n=1, progress=False)
    assert run.stats['pairs'] == 40 and run.stats['pair_rules'] == {'student missed the error': 40}
    save_pairs(run, d / 'pairs', val_fraction=0.1)
    tiny_chat_model(d / 'student', corpus=[pp.chosen + pp.rejected + pp.prompt[0].content + pp.prompt[-1].content for pp in run.pairs] * 5)
    return d


def grows(xs): return xs[-1] > xs[0]


def test_full_tuning_with_precomputed_reference(world):
    out = train(train_config('dpo', str(world / 'student'), str(world / 'full'), 'cpu-smoke', max_steps=24), world / 'pairs')
    assert out['losses'][0] == pytest.approx(0.693, abs=0.01)  # log 2: the policy starts as its reference
    assert out['losses'][-1] < out['losses'][0] and grows(out['margins']), (out['losses'], out['margins'])
    # The trained student, in process, through self-correction at inference: two attempts, graded.
    from supercorrect_nb.chat import ChatConfig
    from supercorrect_nb.correction import self_correct, self_correction_scores
    sc = self_correct(PROBS[:4], Chat(ChatConfig(backend='transformers', model=out['path'])), max_tokens=32, progress=False)
    scores = self_correction_scores(sc)
    assert scores['n'] == 4 and scores['delta'] == pytest.approx(scores['delta_i_to_c'] - scores['delta_c_to_i'])


def test_separate_reference_and_live_log_probs(world):
    out = train(train_config('dpo', str(world / 'student'), str(world / 'ref'), 'cpu-smoke', max_steps=12, precompute_ref=False,
                                     ref_model=str(world / 'student'), beta=0.5), world / 'pairs')
    assert grows(out['margins'])


def test_lora_with_the_frozen_base_as_reference(world):
    out = train(train_config('dpo', str(world / 'student'), str(world / 'lora'), 'cpu-smoke', max_steps=16, lora=True, lora_r=8,
                                     lr=2e-2), world / 'pairs')
    assert (Path(out['path']) / 'adapter_config.json').exists() and grows(out['margins'])


def test_resume_and_cli(world):
    cfg = train_config('dpo', str(world / 'student'), str(world / 'resume'), 'cpu-smoke', max_steps=4, save_steps=2)
    train(cfg, world / 'pairs')
    again = train(cfg.model_copy(update=dict(max_steps=6)), world / 'pairs')
    assert again['resumed_from'].endswith('checkpoint-4') and again['global_step'] == 6
    exe = Path(sys.executable).parent / 'accelerate'
    subprocess.run([str(exe), 'launch', '--config_file', str(ROOT / 'configs/accelerate/cpu.yaml'), '-m', 'supercorrect_nb.training',
                    'dpo', '--model', str(world / 'student'), '--data', str(world / 'pairs'), '--output', str(world / 'cli'),
                    '--preset', 'cpu-smoke', '--set', 'max_steps=2', 'beta=0.3'], check=True, timeout=600, cwd=ROOT)
    saved = json.loads((world / 'cli' / 'final' / 'dpo.json').read_text())
    assert saved['global_step'] == 2 and saved['config']['beta'] == 0.3


def test_bad_data(tmp_path):
    with pytest.raises(FileNotFoundError, match='no train.parquet'): load_splits(tmp_path, ['prompt', 'chosen', 'rejected'])
    with pytest.raises(ValueError, match='unknown dpo preset'): train_config('dpo', 'm', 'o', 'paper')
