"""Chat throughput: `Chat.batch` against a bare `openai.AsyncOpenAI` loop, on the scripted server.

N requests with a fixed server latency, C at a time, sent both ways in the same run (alternating, a few
rounds, medians reported: two cores shared with the server make single runs noisy) and each compared
with the ideal N x latency / C. `Chat` runs with everything on: the SQLite store (a fresh file),
retries, accounting and the progress bar's counters. Then the same batch again on the warm store.
The last line is `ratio_to_bare=<chat wall / bare wall>`. Not a timed test: run it and read it.
"""
import argparse, asyncio, resource, statistics, tempfile, time
from pathlib import Path

import openai

from supercorrect_nb.chat import Chat, ChatConfig
from supercorrect_nb.fakes import ScriptedServer


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def requests(n, tag): return [[{'role': 'user', 'content': f'{tag} question {i}'}] for i in range(n)]


async def bare(url, reqs, conc):
    client = openai.AsyncOpenAI(base_url=url, api_key='EMPTY', max_retries=0, timeout=60)
    sem = asyncio.Semaphore(conc)
    async def one(m):
        async with sem:
            r = await client.chat.completions.create(model='scripted', messages=m, temperature=0.0, max_tokens=1024)
            return r.choices[0].message.content
    out = await asyncio.gather(*[one(m) for m in reqs])
    await client.close()
    return out


def measure(fn):
    c0, t0 = cpu(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, cpu() - c0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('-n', type=int, default=2000)
    ap.add_argument('--latency', type=float, default=0.05)
    ap.add_argument('--concurrency', type=int, default=64)
    ap.add_argument('--rounds', type=int, default=3, help='alternating rounds of each; medians are reported')
    ap.add_argument('--progress', action='store_true', help='show the progress bar during the chat runs')
    a = ap.parse_args()
    ideal = a.n * a.latency / a.concurrency
    walls = {'bare': [], 'chat': []}
    cpus = {'bare': [], 'chat': []}
    with ScriptedServer(latency=a.latency) as srv, tempfile.TemporaryDirectory() as d:
        asyncio.run(bare(srv.url, requests(64, 'warm'), a.concurrency))  # warm both paths up
        cfg = ChatConfig(model='scripted', base_url=srv.url, concurrency=a.concurrency, timeout=60)
        Chat(cfg, store=Path(d) / 'warm.sqlite').batch_sync(requests(64, 'warm'), progress=False)
        for r in range(a.rounds):  # alternate the two, fresh prompts and a fresh store each round
            out_b, wall, used = measure(lambda: asyncio.run(bare(srv.url, requests(a.n, f'bare{r}'), a.concurrency)))
            assert len(out_b) == a.n
            walls['bare'].append(wall); cpus['bare'].append(used)
            chat = Chat(cfg, store=Path(d) / f'store{r}.sqlite')
            reqs = requests(a.n, f'chat{r}')
            res, wall, used = measure(lambda: chat.batch_sync(reqs, progress=a.progress))
            assert all(x.ok for x in res)
            walls['chat'].append(wall); cpus['chat'].append(used)
        before = srv.stats()['requests']
        again, wall_w, _ = measure(lambda: chat.batch_sync(reqs, progress=False))
        calls_w = srv.stats()['requests'] - before
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    med = {k: statistics.median(v) for k, v in walls.items()}
    print(f'{a.n} requests, {a.latency * 1000:.0f} ms latency, concurrency {a.concurrency}: ideal {ideal:.2f} s; '
          f'median of {a.rounds} alternating rounds')
    for k, name in (('bare', 'bare openai loop'), ('chat', 'chat (store on)')):
        print(f'{name:<17} wall {med[k]:6.2f} s  {med[k] / ideal:5.2f}x ideal  client CPU '
              f'{statistics.median(cpus[k]) / a.n * 1000:.2f} ms/request   (walls {", ".join(f"{w:.2f}" for w in walls[k])})')
    print(f'chat, warm store  wall {wall_w:6.2f} s  {calls_w} calls  ({sum(r.cached for r in again)} from the store)')
    print(f'peak RSS {rss:.0f} MiB')
    print(f"ratio_to_bare={med['chat'] / med['bare']:.3f}")


if __name__ == '__main__':
    main()
