"""`decoding.decode` gives the tokens of `model.generate`: on the shipped student, greedy and seeded sampling, in
left-padded batches; and through the backend, the same replies."""
import pytest
import torch

from supercorrect_nb.chat import Sampling, TransformersBackend
from supercorrect_nb.decoding import decode
from supercorrect_nb.prompts import solve_messages
from supercorrect_nb.student import STUDENT_DIR
from supercorrect_nb.testbed import generate


@pytest.fixture(scope='module')
def backend():
    return TransformersBackend(str(STUDENT_DIR), device='cpu', batch_size=32)


@pytest.fixture(scope='module')
def enc(backend):
    texts = [backend.prompt_text(solve_messages(p)) for p in generate(32, 'test', seed=3, min_steps=2, max_steps=5)]
    return backend.tok(texts, return_tensors='pt', padding=True, add_special_tokens=False)


@pytest.mark.parametrize('sampling', [Sampling(max_tokens=96), Sampling(temperature=0.7, max_tokens=96),
                                      Sampling(temperature=1.0, top_p=0.8, max_tokens=48),
                                      Sampling(temperature=0.7, max_tokens=48, stop=('</Step1>',))])
def test_same_tokens_as_generate(backend, enc, sampling):
    kw = backend._generate_kw(sampling)
    torch.manual_seed(1)
    ours = decode(backend.model, enc['input_ids'], enc['attention_mask'], **kw)
    torch.manual_seed(1)
    with torch.inference_mode(): theirs = backend.model.generate(**enc, **kw)[:, enc['input_ids'].shape[1]:]
    assert enc['attention_mask'].min() == 0  # the batch is padded
    assert ours.shape[1] <= theirs.shape[1] and ours.tolist() == theirs[:, :ours.shape[1]].tolist()
    assert (theirs[:, ours.shape[1]:] == backend.tok.pad_token_id).all()  # generate ran on only to pad


def test_a_seed_reproduces_the_backends_replies(backend):
    msgs = [solve_messages(p) for p in generate(6, 'test', seed=4)]
    s = Sampling(temperature=0.7, max_tokens=40, seed=7)
    first, again = backend._generate([(m, 2) for m in msgs], s), backend._generate([(m, 2) for m in msgs], s)
    assert [r.texts for r in first] == [r.texts for r in again]
    assert len({t for r in first for t in r.texts}) > 1
