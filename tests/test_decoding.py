"""`decoding.decode` and `decode_stream` on the shipped student: greedy decoding gives the tokens of `model.generate`,
whole batch or through fewer slots than prompts, with and without stop strings; sampling draws from the
distribution `generate` draws from; a seed reproduces the backend's replies, and a sampled reply depends on its
request alone: not on the number of slots, the order of the requests, or what the store already held."""
from collections import Counter

import pytest
import torch

from supercorrect_nb.chat import Chat, ResponseStore, Sampling, TransformersBackend
from supercorrect_nb.decoding import decode, decode_stream
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


def generated(backend, enc, kw):
    with torch.inference_mode(): return backend.model.generate(**enc, **kw)[:, enc['input_ids'].shape[1]:]


@pytest.mark.parametrize('slots', [None, 7])
@pytest.mark.parametrize('sampling', [Sampling(max_tokens=96), Sampling(max_tokens=64, stop=('</Step1>',))])
def test_greedy_gives_the_tokens_of_generate(backend, enc, sampling, slots):
    kw = backend._generate_kw(sampling)
    ours, theirs = decode(backend.model, enc['input_ids'], enc['attention_mask'], slots=slots, **kw), generated(backend, enc, kw)
    assert enc['attention_mask'].min() == 0  # the batch is padded
    assert ours.shape[1] <= theirs.shape[1] and ours.tolist() == theirs[:, :ours.shape[1]].tolist()
    assert (theirs[:, ours.shape[1]:] == backend.tok.pad_token_id).all()  # generate ran on only to pad


def uncertain_prompt(backend, problems: int = 8):
    "A solve prompt followed by the start of the student's greedy solution, up to where its next token is least certain (of `problems`)."
    best = (-1.0, None)
    for p in generate(problems, 'test', seed=5):
        prompt = backend.tok(backend.prompt_text(solve_messages(p)), add_special_tokens=False)['input_ids']
        ids = torch.tensor([prompt])
        full = generated(backend, {'input_ids': ids, 'attention_mask': torch.ones_like(ids)}, backend._generate_kw(Sampling(max_tokens=60)))
        seq = torch.cat([ids, full], 1)
        with torch.inference_mode(): probs = backend.model(seq).logits[0, len(prompt) - 1:].softmax(-1)
        entropy = -(probs * probs.clamp(min=1e-12).log()).sum(-1)
        k = int(entropy.argmax())
        best = max(best, (float(entropy[k]), seq[0, :len(prompt) + k].tolist()), key=lambda x: x[0])
    return best[1]


@pytest.mark.parametrize('sampling', [Sampling(temperature=0.7, max_tokens=1), Sampling(temperature=1.0, top_p=0.8, max_tokens=1)])
def test_sampling_draws_from_the_distribution_of_generate(backend, sampling):
    prompt = uncertain_prompt(backend)
    kw, n = backend._generate_kw(sampling), 1000
    torch.manual_seed(0)
    ours = Counter(t[0] for _, t in decode_stream(backend.model, [prompt] * n, slots=250, **kw))
    torch.manual_seed(0)
    ids = torch.tensor([prompt] * n)
    theirs = Counter(generated(backend, {'input_ids': ids, 'attention_mask': torch.ones_like(ids)}, kw)[:, 0].tolist())
    assert len(theirs) > 1  # the test has something to compare
    assert sum(abs(ours[t] - theirs[t]) for t in ours | theirs) / (2 * n) < 0.08  # total variation distance (about 0.03 by chance at this n)


def test_a_stream_gives_each_prompt_once_and_a_seed_repeats_it(backend, enc):
    prompts = [r[m.bool()].tolist() for r, m in zip(enc['input_ids'], enc['attention_mask'])]
    kw = backend._generate_kw(Sampling(temperature=0.7, max_tokens=40))
    runs = []
    for _ in range(2):
        torch.manual_seed(3); runs.append(list(decode_stream(backend.model, prompts, slots=5, **kw)))
    assert runs[0] == runs[1] and sorted(i for i, _ in runs[0]) == list(range(len(prompts)))
    assert all(0 < len(t) <= 40 for _, t in runs[0])


def test_a_seed_reproduces_the_backends_replies(backend):
    msgs = [solve_messages(p) for p in generate(6, 'test', seed=4)]
    s = Sampling(temperature=0.7, max_tokens=40, seed=7)
    first, again = backend._generate([(m, 2, 0) for m in msgs], s), backend._generate([(m, 2, 0) for m in msgs], s)
    assert [r.texts for r in first] == [r.texts for r in again]
    assert len({t for r in first for t in r.texts}) > 1


def sampled(backend, slots, requests, store=None, prefill=()):
    "The texts of `requests` (message lists), 2 samples each at temperature 0.7, through `slots` slots; `prefill` asked first."
    backend.batch_size = slots
    chat = Chat(backend=backend, store=store, seed=5)
    kw = dict(n=2, temperature=0.7, max_tokens=96, progress=False)
    if prefill: chat.batch_sync(prefill, **kw)
    return [r.texts for r in chat.batch_sync(requests, **kw)]


def test_a_sampled_reply_depends_on_its_request_alone(backend):
    "The same replies at 1, 7 and 64 slots, with half of the samples already stored, and asked in another order."
    msgs = [solve_messages(p) for p in generate(24, 'test', seed=6, min_steps=2, max_steps=5)]
    try:
        at64 = sampled(backend, 64, msgs)
        assert len({t for ts in at64 for t in ts}) > len(msgs)  # sampled: more different texts than problems
        assert sampled(backend, 7, msgs) == at64
        assert sampled(backend, 1, msgs) == at64
        half = [{'messages': m, 'n': 1, 'first_index': 1} for m in msgs[::2]] + msgs[1::2]  # sample 1 of the even ones, both of the odd
        assert sampled(backend, 7, msgs, ResponseStore(), prefill=half) == at64
        assert sampled(backend, 7, msgs[::-1]) == at64[::-1]
    finally:
        backend.batch_size = 32
