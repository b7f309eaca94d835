"""The chat interface against real servers: a scripted one with faults, and `transformers serve`."""
import hashlib
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from supercorrect_nb.chat import Chat, ChatConfig, ChatError, FunctionBackend, ResponseStore
from supercorrect_nb.fakes import ScriptedServer, tiny_chat_model

ROOT = Path(__file__).resolve().parent.parent


def ask(i): return [{'role': 'user', 'content': f'question {i}'}]


def flaky(srv, **kw):
    return ChatConfig(model='scripted', base_url=srv.url, timeout=kw.pop('timeout', 1.0), backoff=0.02, max_retries=10, **kw)


def test_2000_items_with_20_percent_faults(tmp_path):
    with ScriptedServer(fault_rate=0.2, hang_seconds=3, retry_after=0.02) as srv:
        chat = Chat(flaky(srv), store=tmp_path / 's.sqlite')
        res = chat.batch_sync([ask(i) for i in range(2000)], progress=False)
        stats = srv.stats()
    assert [r.text for r in res] == [f'echo: question {i}' for i in range(2000)]  # none lost, none mixed up
    assert stats['served_keys'] == 2000 and stats['repeats'] == 0  # no completed call made twice
    assert set(stats['faults']) == {'429', '500', 'hang', 'malformed', 'empty', 'truncated'}
    assert 0.15 < sum(stats['faults'].values()) / stats['requests'] < 0.25
    assert len(chat.store) == 2000 and chat.ledger.total().retries == sum(stats['faults'].values())


RUNNER = textwrap.dedent('''
    import json, sys
    from supercorrect_nb.chat import Chat, ChatConfig
    url, store, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    cfg = ChatConfig(model='scripted', base_url=url, timeout=1.0, backoff=0.02, max_retries=10, concurrency=16)
    res = Chat(cfg, store=store).batch_sync([[{'role': 'user', 'content': f'question {i}'}] for i in range(n)], progress=False)
    json.dump([r.text for r in res], open(out, 'w'))
''')


def test_kill_and_resume(tmp_path):
    "SIGKILL a batch at random moments, re-run it: every item done exactly once, no stored call made again."
    script, store, out, n = tmp_path / 'run.py', tmp_path / 'store.sqlite', tmp_path / 'out.json', 1500
    script.write_text(RUNNER)
    rng, kills, progress = random.Random(0), 0, [0]
    with ScriptedServer(latency=0.03, fault_rate=0.1, hang_seconds=3, retry_after=0.02) as srv:
        cmd = [sys.executable, str(script), srv.url, str(store), str(out), str(n)]
        for _ in range(4):
            p = subprocess.Popen(cmd)
            time.sleep(rng.uniform(1.5, 3.0))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL); p.wait()
                kills += 1
            progress.append(len(ResponseStore(store)))
        subprocess.run(cmd, check=True, timeout=300)
        stats = srv.stats()
        assert json.loads(out.read_text()) == [f'echo: question {i}' for i in range(n)]
        assert len(ResponseStore(store)) == n
        # Only calls in flight at a kill can be answered twice (16 at a time).
        assert stats['served_keys'] == n and stats['repeats'] <= 16 * kills
        requests = stats['requests']
        subprocess.run(cmd, check=True, timeout=300)  # a finished batch: no call at all
        assert srv.stats()['requests'] == requests
    assert progress == sorted(progress) and sum(0 < d < n for d in progress) >= 2, progress  # killed mid-run, twice or more


def test_failures_are_recorded_and_the_batch_goes_on(tmp_path):
    def picky(messages, n, s):
        if '13' in messages[-1]['content']: raise ValueError('unlucky number')
        return ['ok'] * n
    chat = Chat(backend=FunctionBackend(picky), store=tmp_path / 's.sqlite', stage='picky')
    res = chat.batch_sync([ask(i) for i in range(20)], progress=False)
    assert [r.ok for r in res].count(False) == 1 and res[13].error == 'ValueError: unlucky number'
    assert [f['reason'] for f in chat.store.failures()] == ['ValueError: unlucky number']
    assert chat.ledger[('picky', 'function:picky')].failures == 1
    with ScriptedServer(fault_rate=1.0, faults=('500',)) as srv:
        chat = Chat(ChatConfig(model='s', base_url=srv.url, backoff=0.01, max_retries=2))
        r = chat.chat_sync(ask(0))
        assert not r.ok and r.error.startswith('HTTP 500') and 'after 3 attempts' in r.error
        assert srv.stats()['requests'] == 3


def test_retry_after_is_honoured():
    with ScriptedServer(fault_rate=1.0, faults=('429',), retry_after=0.4) as srv:
        chat = Chat(ChatConfig(model='s', base_url=srv.url, backoff=0.0, max_retries=2))
        t0 = time.perf_counter()
        assert not chat.chat_sync(ask(0)).ok
        assert time.perf_counter() - t0 >= 0.8


def test_parser_reasks_are_counted():
    calls = []
    def sloppy(messages, n, s):
        calls.append(len(messages))
        return ['<Answer>7</Answer>' if len(messages) >= 5 else 'seven'] * n
    from supercorrect_nb.steps import parse_solution
    chat = Chat(backend=FunctionBackend(sloppy), stage='reask')
    r = chat.chat_sync(ask(0), parse=lambda t: t if '<Answer>' in t else parse_solution(t), reasks=3)
    assert r.reasks == 2 and r.parsed == ['<Answer>7</Answer>'] and calls == [1, 3, 5]
    assert chat.ledger[('reask', 'function:sloppy')].reasks == 2
    r = Chat(backend=FunctionBackend(sloppy)).chat_sync(ask(1), parse=parse_solution, reasks=1)
    assert r.reasks == 1 and r.parsed[0].ok is False  # still rejected: the last verdict is kept


NOTEBOOK_CODE = '''
import logging, os
from supercorrect_nb.chat import Chat, ChatConfig, ChatError
logging.basicConfig(level=logging.DEBUG, force=True)
cfg = ChatConfig(model='scripted', base_url=URL, api_key_env='SC_PLANTED_KEY', timeout=1.0, backoff=0.01, max_retries=3)
chat = Chat(cfg, store=STORE, stage='secret')
res = chat.batch_sync([[{'role': 'user', 'content': f'q{i}'}] for i in range(50)], progress=True)
print(repr(chat), repr(chat.backend), cfg, chat.ledger.summary())
print([r.error for r in res if r.error])
chat.store.export_jsonl(EXPORT)
'''


def test_api_key_never_written(tmp_path):
    import nbformat, papermill
    key = 'sk-planted-' + hashlib.sha256(str(time.time()).encode()).hexdigest()[:24]
    os.environ['SC_PLANTED_KEY'] = key
    run = tmp_path / 'run'
    run.mkdir()
    log = run / 'chat.log'
    handler = logging.FileHandler(log)
    logging.getLogger().addHandler(handler); logging.getLogger().setLevel(logging.DEBUG)
    try:
        with ScriptedServer(fault_rate=0.5, faults=('500', '429', 'malformed'), retry_after=0.01) as srv:
            chat = Chat(ChatConfig(model='scripted', base_url=srv.url, api_key_env='SC_PLANTED_KEY', timeout=1.0,
                                   backoff=0.01, max_retries=1), store=run / 'store.sqlite')
            res = chat.batch_sync([ask(i) for i in range(100)], progress=False)
            assert any(not r.ok for r in res) and any(r.ok for r in res)  # some failures were recorded
            chat.store.export_jsonl(run / 'export.jsonl')
            (run / 'reprs.txt').write_text('\n'.join([repr(chat), repr(chat.backend), repr(chat.config), chat.ledger.summary(),
                                                     *(r.error or '' for r in res), str(ChatError('x'))]))
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('# parameters\nURL = STORE = EXPORT = None'),
                                                 nbformat.v4.new_code_cell(NOTEBOOK_CODE)])
            nb.cells[0].metadata['tags'] = ['parameters']
            nb.metadata['kernelspec'] = {'name': 'python3', 'language': 'python', 'display_name': 'Python 3'}
            nb.metadata['language_info'] = {'name': 'python'}
            nbformat.write(nb, run / 'in.ipynb')
            papermill.execute_notebook(str(run / 'in.ipynb'), str(run / 'out.ipynb'), kernel_name='python3', progress_bar=False,
                                       parameters=dict(URL=srv.url, STORE=str(run / 'nb.sqlite'), EXPORT=str(run / 'nb.jsonl')))
            # The key did reach the server (so the test would catch a leak if there were one) ...
            assert hashlib.sha256(f'Bearer {key}'.encode()).hexdigest() in srv.stats()['auth_sha256']
    finally:
        logging.getLogger().removeHandler(handler); handler.close()
    # ... and no file the run wrote holds it.
    written = [f for f in run.rglob('*') if f.is_file()]
    assert {'store.sqlite', 'export.jsonl', 'out.ipynb', 'nb.sqlite', 'nb.jsonl', 'chat.log'} <= {f.name for f in written}
    assert log.stat().st_size > 0 and 'OpenAIBackend' in (run / 'out.ipynb').read_text()
    leaks = [f.name for f in written if key.encode() in f.read_bytes()]
    assert leaks == []


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return tiny_chat_model(tmp_path_factory.mktemp('models') / 'tiny')


@pytest.fixture(scope='module')
def served(tiny):
    "`transformers serve` on the tiny model, on 127.0.0.1."
    port = free_port()
    env = {**os.environ, 'HF_HUB_OFFLINE': '1'}
    exe = Path(sys.executable).parent / 'transformers'
    log = open(tiny.parent / 'serve.log', 'w+')
    p = subprocess.Popen([str(exe), 'serve', str(tiny), '--host', '127.0.0.1', '--port', str(port), '--device', 'cpu'],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=1); break
            except OSError:
                if p.poll() is not None: break
                time.sleep(0.5)
        else: p.kill()
        if p.poll() is not None:
            log.seek(0)
            pytest.fail('transformers serve did not start:\n' + log.read()[-3000:])
        yield f'http://127.0.0.1:{port}/v1'
    finally:
        p.kill(); p.wait(); log.close()


def test_openai_backend_on_transformers_serve(served, tiny):
    chat = Chat(ChatConfig(model=str(tiny), base_url=served, supports_n=False, timeout=60), stage='served')
    res = chat.batch_sync([ask(i) for i in range(4)], n=2, max_tokens=8, progress=False)
    assert all(r.ok and len(r.texts) == 2 and all(t for t in r.texts) for r in res)
    assert chat.ledger.total().calls == 8 and chat.ledger.total().completion_tokens > 0
    again = chat.batch_sync([ask(i) for i in range(4)], n=2, max_tokens=8, progress=False)
    assert [r.texts for r in again] == [r.texts for r in res] and all(r.cached == 2 for r in again)


def test_in_process_backend_matches_the_server(served, tiny):
    "Greedy decoding of the same model dir, in process and through the server, gives the same text."
    msgs = [ask(i) for i in range(3)]
    local = Chat(ChatConfig(backend='transformers', model=str(tiny))).batch_sync(msgs, max_tokens=8, progress=False)
    remote = Chat(ChatConfig(model=str(tiny), base_url=served, supports_n=False)).batch_sync(msgs, max_tokens=8, progress=False)
    assert [r.text.strip() for r in local] == [r.text for r in remote]  # the server strips leading space
    assert all(r.finish_reasons == ['length'] and r.completion_tokens == 8 for r in local)


def test_in_process_stop_strings_and_samples(tiny):
    chat = Chat(ChatConfig(backend='transformers', model=str(tiny), batch_size=4))
    free = chat.chat_sync(ask(0), max_tokens=16).text
    stop = free[3:6]
    r = chat.chat_sync(ask(0), max_tokens=16, stop=[stop])
    assert r.text == free[:free.find(stop)] and r.finish_reasons == ['stop']
    r = chat.chat_sync(ask(0), n=4, temperature=1.0, max_tokens=16, seed=1)
    assert len(set(r.texts)) > 1  # sampled, not copied
