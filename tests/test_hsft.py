"""HSFT (SFT through the training module) end to end on the CPU: scripted teacher -> templates -> SFT files -> training -> reload -> generate."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from supercorrect_nb.chat import Chat, ChatConfig, FunctionBackend, run_sync
from supercorrect_nb.fakes import tiny_chat_model
from supercorrect_nb.solving import accuracy, solve
from supercorrect_nb.training import load_splits, train, train_config
from supercorrect_nb.records import Problem
from supercorrect_nb.steps import HierarchicalSolution, Step, render_solution
from supercorrect_nb.templates import make_templates, save_sft, sft_dataset, sft_rows

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = [Problem(id=f'h/{i}', question=f'What is {i} plus {i + 1}?', solution=f'{i} + {i + 1} = {2 * i + 1}',
                    answer=str(2 * i + 1), source='toy') for i in range(48)]


def teacher(messages, n, s):
    p = next(q for q in PROBLEMS if q.question in messages[1]['content'])
    a, b = p.question.split()[2], p.question.split()[4].rstrip('?')
    return [render_solution(HierarchicalSolution([Step(f'{a} + {b} = {p.answer}', key='Add both numbers.')],
                                                 'Add the numbers.', f'\\boxed{{{p.answer}}}'))] * n


@pytest.fixture(scope='module')
def sft(tmp_path_factory):
    "Stage 1 with a scripted teacher, written as the HSFT dataset, and a tiny student."
    d = tmp_path_factory.mktemp('hsft')
    run = run_sync(make_templates(PROBLEMS, Chat(backend=FunctionBackend(teacher)), progress=False))
    rows = sft_rows(PROBLEMS, run)
    save_sft(sft_dataset(rows, val_fraction=0.1), d / 'sft', run)
    corpus = [r['prompt'][1]['content'] + r['completion'][0]['content'] for r in rows] * 5
    tiny_chat_model(d / 'student', corpus=corpus)
    return d


def test_end_to_end_loss_falls_and_model_reloads(sft):
    out = train(train_config('sft', str(sft / 'student'), str(sft / 'full'), 'cpu-smoke', max_steps=30), sft / 'sft')
    assert out['global_step'] == 30 and out['losses'][-1] < 0.5 * out['losses'][0], out['losses']
    from transformers import AutoModelForCausalLM, AutoTokenizer
    model, tok = AutoModelForCausalLM.from_pretrained(out['path']), AutoTokenizer.from_pretrained(out['path'])
    ids = tok.apply_chat_template([{'role': 'user', 'content': 'What is 2 plus 3?'}], add_generation_prompt=True, return_tensors='pt')
    ids = ids['input_ids'] if hasattr(ids, 'keys') else ids
    assert model.generate(ids, max_new_tokens=5, do_sample=False).shape[1] > ids.shape[1]
    sols = solve(PROBLEMS[:4], Chat(ChatConfig(backend='transformers', model=out['path'])), max_tokens=40, progress=False)
    assert len(sols) == 4 and all(s.correct in (True, False) for s in sols) and 0 <= accuracy(sols) <= 1
    assert sum(bool(s.steps) for s in sols) >= 2  # the format is learned even when the sums are not


def test_checkpoints_resume(sft):
    cfg = train_config('sft', str(sft / 'student'), str(sft / 'resume'), 'cpu-smoke', max_steps=6, save_steps=3)
    first = train(cfg, sft / 'sft')
    assert first['resumed_from'] is None and (sft / 'resume' / 'checkpoint-6').is_dir()
    second = train(cfg.model_copy(update=dict(max_steps=9)), sft / 'sft')
    assert second['resumed_from'].endswith('checkpoint-6') and second['global_step'] == 9


def test_lora_adapters_save_and_reload(sft):
    out = train(train_config('sft', str(sft / 'student'), str(sft / 'lora'), 'cpu-smoke', max_steps=12, lora=True, lora_r=8,
                                 lr=1e-2), sft / 'sft')
    assert (Path(out['path']) / 'adapter_config.json').exists() and out['losses'][-1] < out['losses'][0]
    from peft import AutoPeftModelForCausalLM
    model = AutoPeftModelForCausalLM.from_pretrained(out['path'])
    import torch
    assert model.generate(input_ids=torch.tensor([[1, 2, 3]]), max_new_tokens=3).shape[1] == 6


def test_accelerate_launch_cli(sft):
    "The command line under `accelerate launch`, as on a GPU box, here with the CPU config."
    exe = Path(sys.executable).parent / 'accelerate'
    cmd = [str(exe), 'launch', '--config_file', str(ROOT / 'configs/accelerate/cpu.yaml'), '-m', 'supercorrect_nb.training',
           'sft', '--model', str(sft / 'student'), '--data', str(sft / 'sft'), '--output', str(sft / 'cli'), '--preset', 'cpu-smoke',
           '--set', 'max_steps=3', 'save_steps=100']
    subprocess.run(cmd, check=True, timeout=600, cwd=ROOT)
    assert json.loads((sft / 'cli' / 'final' / 'sft.json').read_text())['global_step'] == 3


def test_accelerate_configs_load():
    from accelerate.commands.config.config_args import load_config_from_file
    want = {'cpu': ('NO', 1), 'single_gpu': ('NO', 1), 'ddp_8gpu': ('MULTI_GPU', 8), 'zero2_8gpu': ('DEEPSPEED', 8),
            'zero3_8gpu': ('DEEPSPEED', 8), 'fsdp_8gpu': ('FSDP', 8)}
    for name, (kind, procs) in want.items():
        cfg = load_config_from_file(str(ROOT / 'configs/accelerate' / f'{name}.yaml'))
        assert (str(cfg.distributed_type).split('.')[-1], cfg.num_processes) == (kind, procs), name
    assert load_config_from_file(str(ROOT / 'configs/accelerate/zero3_8gpu.yaml')).deepspeed_config['zero_stage'] == 3


def test_bad_data(tmp_path):
    with pytest.raises(FileNotFoundError, match='no train.parquet'): load_splits(tmp_path, ['prompt', 'completion'])
