"""Generation throughput: the transformers backend's decoding against bare `model.generate`, in one run.

The shipped testbed student answers the same testbed prompts (the hierarchical solve prompt), in the
same batches, with the same sampling and token budget, three ways:

* `generate`: bare `model.generate`, `--batch` prompts per call;
* `backend`: `TransformersBackend._generate` over all the prompts, the path every stage samples through
  (`decoding.decode_stream`: `--batch` slots, each refilled with the next prompt as its row ends);
* `kv-loop`: a plain loop over the model with transformers' `DynamicCache`, no processors and no
  stopping criteria beyond the end token: the practical floor of a loop over this model's forward.

Tokens count up to each row's end token. Each way runs `--rounds` times, alternating, and the median
wall time is reported (two cores make single runs noisy). It also says whether the backend's tokens
are the tokens of `generate` (with `--temperature 0`: greedy decoding must give the same tokens; sampled
runs draw from the same distribution with another random stream). The last line is `ratio_to_generate=<backend tok/s / generate tok/s>`.
Not a timed test: run it and read it.
"""
import argparse, statistics, time

import torch


def prompts(n: int):
    from supercorrect_nb.prompts import solve_messages
    from supercorrect_nb.testbed import generate as problems
    return [solve_messages(p) for p in problems(n, 'test', seed=0, min_steps=2, max_steps=5)]


def until_end(rows, ends):
    return [r[:next((i for i, t in enumerate(r) if t in ends), len(r))] for r in rows]


def batched(fn):
    "A way that takes `--batch` prompts at a time, its rows cut at their end token: (texts, tokens)."
    def way(be, msgs, kw, batch):
        texts, ends = [be.prompt_text(m) for m in msgs], be._end_ids()
        rows = [r for i in range(0, len(texts), batch) for r in until_end(fn(be, texts[i:i + batch], kw), ends)]
        return [be.tok.decode(r, skip_special_tokens=True) for r in rows], sum(map(len, rows))
    return way


@batched
def way_generate(be, texts, kw):
    enc = be.tok(texts, return_tensors='pt', padding=True, add_special_tokens=False)
    with torch.inference_mode(): out = be.model.generate(**enc, **kw)
    return out[:, enc['input_ids'].shape[1]:].tolist()


def way_backend(be, msgs, s, batch):
    "Every prompt through the backend's `batch` slots: (texts, tokens)."
    be.batch_size = batch
    replies = be._generate([(m, 1, 0) for m in msgs], s)
    return [r.texts[0] for r in replies], sum(r.completion_tokens for r in replies)


@batched
def way_kv_loop(be, texts, kw):
    from transformers import DynamicCache
    from supercorrect_nb.decoding import _cache_kw
    enc = be.tok(texts, return_tensors='pt', padding=True, add_special_tokens=False)
    ids, mask = enc['input_ids'], enc['attention_mask']
    ends, cache, out = torch.tensor(sorted(be._end_ids())), {_cache_kw(be.model): DynamicCache()}, []
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    live = torch.ones(len(ids), dtype=torch.bool)
    with torch.inference_mode():
        logits = be.model(input_ids=ids, attention_mask=mask, position_ids=pos, **cache, logits_to_keep=1).logits[:, -1]
        pos = pos[:, -1:] + 1
        for _ in range(kw['max_new_tokens']):
            t = (torch.multinomial((logits / kw['temperature']).softmax(-1), 1).squeeze(1) if kw.get('do_sample')
                 else logits.argmax(-1))
            out.append(t); live &= ~torch.isin(t, ends)
            if not live.any(): break
            mask = torch.cat([mask, mask.new_ones(len(mask), 1)], 1)
            logits = be.model(input_ids=t[:, None], attention_mask=mask, position_ids=pos, **cache).logits[:, -1]
            pos = pos + 1
    return torch.stack(out, 1).tolist()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--prompts', type=int, default=256)
    ap.add_argument('--batch', type=int, default=64, help="the pipeline's batch")
    ap.add_argument('--max-tokens', type=int, default=256)
    ap.add_argument('--temperature', type=float, default=0.7, help='0: greedy')
    ap.add_argument('--rounds', type=int, default=3)
    a = ap.parse_args()
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar(); hf_logging.set_verbosity_error()
    from supercorrect_nb.chat import Sampling, TransformersBackend
    from supercorrect_nb.student import STUDENT_DIR
    be = TransformersBackend(str(STUDENT_DIR), device='cpu', batch_size=a.batch)
    s = Sampling(temperature=a.temperature, max_tokens=a.max_tokens)
    kw, msgs = be._generate_kw(s), prompts(a.prompts)
    ways = {'generate': lambda: way_generate(be, msgs, kw, a.batch), 'backend': lambda: way_backend(be, msgs, s, a.batch),
            'kv-loop': lambda: way_kv_loop(be, msgs, kw, a.batch)}
    way_backend(be, msgs[:4], Sampling(temperature=a.temperature, max_tokens=4), 4)  # warm up
    walls, toks, texts = {w: [] for w in ways}, {}, {}
    for _ in range(a.rounds):
        for name, fn in ways.items():
            torch.manual_seed(0)
            t0 = time.perf_counter(); texts[name], toks[name] = fn(); walls[name].append(time.perf_counter() - t0)
    print(f'{a.prompts} prompts, batch {a.batch}, temperature {a.temperature}, up to {a.max_tokens} new tokens, '
          f'{torch.get_num_threads()} threads, median of {a.rounds} rounds')
    rate = {}
    for name in ways:
        wall = statistics.median(walls[name]); rate[name] = toks[name] / wall
        print(f'  {name:9s} {toks[name]:7d} tokens  {wall:6.2f} s  {rate[name]:7.0f} tok/s')
    same = sum(x == y for x, y in zip(texts['backend'], texts['generate']))
    print(f'backend replies identical to generate: {same}/{len(msgs)}' + ('' if a.temperature == 0 else ' (sampled: other draws)'))
    print(f'ratio_to_kv_loop={rate["backend"] / rate["kv-loop"]:.2f}')
    print(f'ratio_to_generate={rate["backend"] / rate["generate"]:.2f}')


if __name__ == '__main__':
    main()
