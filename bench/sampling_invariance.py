"""Does a sampled reply depend on its request alone? The transformers backend samples the same requests
through several numbers of slots, and this counts the replies that differ from those at `--reference` slots.

Each sample draws from its own counter-based stream (`decoding.uniforms`, keyed by `chat.sample_seed`), so
batch composition, slot order and refills cannot change a draw. What can still differ is floating-point
rounding: the model's forward pass over a batch of another shape may round a logit differently and flip
a near-tied token. This measures how often that happens on the shipped student (the issue's bar: under 1 in
1,000 replies), and what a seeded draw costs per decoding step beside the forward pass.
Not a timed test: run it and read it.
"""
import argparse, time

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--prompts', type=int, default=500)
    ap.add_argument('--n', type=int, default=2, help='samples per prompt')
    ap.add_argument('--slots', default='1,7,64,128')
    ap.add_argument('--reference', type=int, default=64)
    ap.add_argument('--max-tokens', type=int, default=256)
    ap.add_argument('--temperature', type=float, default=0.7)
    a = ap.parse_args()
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar(); hf_logging.set_verbosity_error()
    from supercorrect_nb.chat import Sampling, TransformersBackend
    from supercorrect_nb.decoding import next_tokens, uniforms
    from supercorrect_nb.prompts import solve_messages
    from supercorrect_nb.student import STUDENT_DIR
    from supercorrect_nb.testbed import generate
    msgs = [solve_messages(p) for p in generate(a.prompts, 'test', seed=11, min_steps=2, max_steps=5)]
    be, s = TransformersBackend(str(STUDENT_DIR), device='cpu'), Sampling(temperature=a.temperature, max_tokens=a.max_tokens, seed=3)
    texts, walls = {}, {}
    for slots in sorted({a.reference, *map(int, a.slots.split(','))}):
        be.batch_size = slots
        t0 = time.perf_counter()
        texts[slots] = [t for r in be._generate([(m, a.n, 0) for m in msgs], s) for t in r.texts]
        walls[slots] = time.perf_counter() - t0
    ref, total = texts[a.reference], a.prompts * a.n
    print(f'{a.prompts} prompts x {a.n} samples, temperature {a.temperature}, up to {a.max_tokens} tokens; reference {a.reference} slots')
    for slots, ts in texts.items():
        diff = sum(x != y for x, y in zip(ts, ref))
        print(f'  {slots:4d} slots  {walls[slots]:7.1f} s  replies that differ from the reference: {diff}/{total}')
    print(f'distinct replies at the reference: {len(set(ref))}/{total}')
    rows, vocab, steps = 64, be.model.config.vocab_size, 2000  # the cost of a draw, per decoding step
    logits, seq, keys = torch.randn(rows, vocab), torch.zeros(rows, 1, dtype=torch.long), torch.arange(rows)
    from transformers.generation.logits_process import LogitsProcessorList, TemperatureLogitsWarper
    procs = LogitsProcessorList([TemperatureLogitsWarper(a.temperature)])
    def per_step(fn):
        t0 = time.perf_counter()
        for t in range(steps): fn(t)
        return (time.perf_counter() - t0) / steps * 1e6
    seeded = per_step(lambda t: next_tokens(logits, seq, procs, uniforms(keys, torch.full((rows,), t))))
    shared = per_step(lambda t: torch.multinomial(procs(seq, logits.clone()).softmax(-1), 1))
    greedy = per_step(lambda t: next_tokens(logits, seq, procs))
    print(f'per step at {rows} rows, vocabulary {vocab}: seeded draw {seeded:.0f} us, torch.multinomial {shared:.0f} us, argmax {greedy:.0f} us')


if __name__ == '__main__':
    main()
