"""The math-7b preset's own code path, dry: SmolLM2-135M-Instruct as the student, the scripted reference
teacher over HTTP, a few real GSM8K problems, CPU training through `accelerate launch`. It must run to
the end, and run again from its store without asking any model anything. Skips, with the reason, only
when the model file cannot be had."""
import json

import pytest

from supercorrect_nb.chat import ResponseStore
from supercorrect_nb.models import model_path
from supercorrect_nb.pipeline import DRY_MODEL, dry_run_pipeline

SMALLEST = dict(train=['gsm8k'], test=['gsm8k'], n_sft=2, n_mine=2, n_test=1, samples=2, max_tokens=192,
                hsft={'max_steps': 6, 'lr': 3e-4})  # half DRY_FORMAT's steps: 2 of 4 samples still had steps to mine (3.7 min, not 5.0, on 2 cores)


@pytest.fixture(scope='module')
def smollm2():
    try: return model_path(DRY_MODEL)
    except (RuntimeError, ImportError) as e: pytest.skip(f'{DRY_MODEL} cannot be had here: {e}')


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_math_7b_dry_run_runs_and_resumes(smollm2, tmp_path):
    m = dry_run_pipeline('math-7b', progress=False, runs_dir=str(tmp_path), **SMALLEST)
    run = tmp_path / 'math-7b-dry-run'
    done = {p.stem for p in (run / 'steps').glob('*.json') if p.stem.count('.') == 0}
    assert {'eval_pretrained', 'sft_data', 'train_hsft', 'pairs_data', 'train_dpo', 'eval_dpo', 'selfcorrect_dpo'} <= done
    assert not list(run.glob('*/checkpoint-*'))  # no 1.6 GB checkpoints on a laptop's disk: only the final models
    assert m['mining']['pairs'] > 0 and json.loads((run / 'costs.json').read_text()) == m['costs']
    assert {'templates', 'mine', 'correct'} <= {c['stage'] for c in m['costs']} and all(c['scale'] > 1 for c in m['costs'])
    asked = len(ResponseStore(run / 'calls.sqlite'))
    again = dry_run_pipeline('math-7b', progress=False, runs_dir=str(tmp_path), **SMALLEST)  # the scripted server comes back on another port
    assert len(ResponseStore(run / 'calls.sqlite')) == asked  # every call answered from the store
    strip = lambda d: {k: v for k, v in d.items() if k not in ('costs', 'wall_minutes', 'compute_minutes')}
    assert strip(again) == strip(m)
