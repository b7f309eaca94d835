"""Grading throughput: gold answer versus reference solution pairs on the MATH test 5000, all cores.

Prints pairs per second for three ways of grading the same 5,000 pairs:
  * `grade_batch` as the pipeline uses it (identical answers skip the parser),
  * `grade_batch` with shortcut=False (every pair goes through math-verify in the worker pool),
  * a plain single-process math-verify loop, for reference.
The last line, `pairs_per_s=<number>`, is the second: every pair parsed and compared by math-verify,
the figure comparable with the plain loop. Not a timed test: run it and read it.
"""
import argparse, os, time

from supercorrect_nb.data import load_problems
from supercorrect_nb.grading import grade_batch, grading_pool, n_cores


def rate(n, seconds): return n / seconds if seconds else float('inf')


def plain_math_verify(problems, limit):
    from math_verify import parse, verify
    t0 = time.perf_counter()
    ok = sum(bool(verify(parse(f'${p.answer}$'), parse(p.solution))) for p in problems[:limit])
    return rate(limit, time.perf_counter() - t0), ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--baseline', type=int, default=1000, help='pairs for the single-process baseline (0 to skip)')
    args = ap.parse_args()
    problems = load_problems('math', 'test')
    texts = [p.solution for p in problems]
    print(f'MATH test: {len(problems)} pairs, {n_cores()} cores, pid {os.getpid()}')
    grading_pool()  # start the workers before timing
    grade_batch(problems[:64], texts[:64], progress=False, shortcut=False)
    results = {}
    for name, kw in (('no shortcut', dict(shortcut=False)), ('as used', {})):
        t0 = time.perf_counter()
        ok = grade_batch(problems, texts, progress=False, **kw)
        results[name] = rate(len(problems), time.perf_counter() - t0)
        print(f'grade_batch {name:<12} {results[name]:8.0f} pairs/s   {sum(ok)}/{len(ok)} correct')
    if args.baseline:
        r, ok = plain_math_verify(problems, args.baseline)
        print(f'plain math-verify, 1 process {r:8.0f} pairs/s   {ok}/{args.baseline} correct (first {args.baseline} pairs)')
    print(f"pairs_per_s={results['no shortcut']:.0f}")


if __name__ == '__main__':
    main()
