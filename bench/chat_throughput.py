"""Chat throughput: `Chat.batch` against a bare `openai.AsyncOpenAI` loop, on the scripted server.

N requests with a fixed server latency, C at a time, sent both ways in the same run and each compared
with the ideal N x latency / C. `Chat` runs with everything on: the SQLite store (a fresh file),
retries, accounting and the progress bar's counters. Then the same batch again on the warm store.
The last line is `ratio_to_bare=<chat wall / bare wall>`. Not a timed test: run it and read it.
"""
import argparse, asyncio, resource, tempfile, time
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
    ap.add_argument('--progress', action='store_true', help='show the progress bar during the chat run')
    a = ap.parse_args()
    ideal = a.n * a.latency / a.concurrency
    with ScriptedServer(latency=a.latency) as srv, tempfile.TemporaryDirectory() as d:
        asyncio.run(bare(srv.url, requests(64, 'warm'), a.concurrency))  # warm both paths up
        cfg = ChatConfig(model='scripted', base_url=srv.url, concurrency=a.concurrency, timeout=60)
        Chat(cfg, store=Path(d) / 'warm.sqlite').batch_sync(requests(64, 'warm'), progress=False)

        out_b, wall_b, cpu_b = measure(lambda: asyncio.run(bare(srv.url, requests(a.n, 'bare'), a.concurrency)))
        chat = Chat(cfg, store=Path(d) / 'store.sqlite')
        reqs = requests(a.n, 'chat')
        res, wall_c, cpu_c = measure(lambda: chat.batch_sync(reqs, progress=a.progress))
        before = srv.stats()['requests']
        again, wall_w, _ = measure(lambda: chat.batch_sync(reqs, progress=False))
        calls_w = srv.stats()['requests'] - before
    assert all(r.ok for r in res) and len(out_b) == a.n
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'{a.n} requests, {a.latency * 1000:.0f} ms latency, concurrency {a.concurrency}: ideal {ideal:.2f} s')
    print(f'bare openai loop  wall {wall_b:6.2f} s  {wall_b / ideal:5.2f}x ideal  client CPU {cpu_b / a.n * 1000:.2f} ms/request')
    print(f'chat (store on)   wall {wall_c:6.2f} s  {wall_c / ideal:5.2f}x ideal  client CPU {cpu_c / a.n * 1000:.2f} ms/request')
    print(f'chat, warm store  wall {wall_w:6.2f} s  {calls_w} calls  ({sum(r.cached for r in again)} from the store)')
    print(f'peak RSS {rss:.0f} MiB')
    print(f'ratio_to_bare={wall_c / wall_b:.3f}')


if __name__ == '__main__':
    main()
