"""The docs site: every notebook becomes a page, every exported name appears in the API reference."""
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    here = tmp_path_factory.mktemp('here')  # a relative site folder is read against the folder it is run from
    subprocess.run([sys.executable, str(ROOT / 'tools' / 'build_docs.py'), 'site'], check=True, cwd=here)
    assert not (ROOT / '_build' / 'site').exists()
    return here / 'site'


def test_every_notebook_is_a_page(site):
    import html, json
    for nb in (ROOT / 'nbs').glob('*.ipynb'):
        page = site / 'index.html' if nb.stem == 'index' else site / nb.stem / 'index.html'
        assert page.exists(), f'{nb.name} has no page'
        first = json.loads(nb.read_text())['cells'][0]['source']
        title = (first if isinstance(first, str) else ''.join(first)).splitlines()[0].lstrip('# ').strip()
        assert f'>{html.escape(title, quote=False)}<' in page.read_text().split('role="main"', 1)[1].split('</h1>', 1)[0], \
            f'{nb.name}: its title {title!r} is not the heading of its page'
    assert 'test_eq' in (site / '01_grading' / 'index.html').read_text()  # code cells are shown


def test_every_export_is_in_the_reference(site):
    from supercorrect_nb._modidx import d
    mods = sorted(d['syms'])
    assert {'supercorrect_nb.records', 'supercorrect_nb.grading', 'supercorrect_nb.steps', 'supercorrect_nb.data'} <= set(mods)
    for mod in mods:
        names = importlib.import_module(mod).__all__
        html = (site / 'reference' / mod / 'index.html').read_text()
        missing = [n for n in names if f'id="{mod}.{n}"' not in html]
        assert not missing, f'{mod}: {missing}'


def _tool(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, ROOT / 'tools' / f'{name}.py')
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_pages_load_nothing_from_other_hosts(site):
    import re
    for page in site.rglob('*.html'):
        html = page.read_text()
        html = re.sub(r'<link rel="canonical"[^>]*>', '', html)  # (names the published page; nothing loads it)
        outside = re.findall(r'(?:<script[^>]*\ssrc|<link[^>]*\shref)="(https?://[^"]+)"|import\(\s*"(https?://[^"]+)"', html)
        assert not outside and 'cdnjs' not in html, f'{page.relative_to(site)}: {outside}'
    assert (site / 'js' / 'plotly.min.js').exists() and 'js/plotly.min.js' in (site / '90_pipeline' / 'index.html').read_text()


def test_pipeline_page_shows_the_run(site):
    import json
    page = (site / '90_pipeline' / 'index.html').read_text()
    nb = json.loads((ROOT / 'nbs' / '90_pipeline.ipynb').read_text())
    figs = sum('application/vnd.plotly.v1+json' in o.get('data', {}) for c in nb['cells'] for o in c.get('outputs', []))
    assert figs >= 9 and page.count('class="plotly-graph-div"') == figs  # every figure the run drew, on the page
    assert 'accuracy after HSFT' in page and 'critique→refine with the critic' in page and 'self-talk' in page  # the headline


def test_headings_get_ids_no_other_element_has():
    hooks = _tool('docs_hooks')
    page = type('Page', (), {'file': type('File', (), {'src_path': 'x.ipynb'})()})()
    a = '<a class="anchor-link" href="#{0}">¶</a>'
    html = (f'<h1 id="chat">Chat{a.format("chat")}</h1><h2 id="chat"><code>Chat</code>{a.format("chat")}</h2>'
            '<h2 id="chat-2">Chat 2</h2><div id="figure-1"></div><h3 id="figure-1">x</h3><h2 class="x">1. Plain</h2>')
    out = hooks.on_page_content(html, page, {}, None)
    assert re.findall(r'<h[1-6][^>]*id="([^"]*)"', out) == ['chat', 'chat-2', 'chat-2-2', 'figure-1-2', 'h-1-plain']
    assert 'href="#chat-2">¶' in out and [t.id for t in page.toc] == ['chat']
    assert [(t.id, t.title, [c.id for c in t.children]) for t in page.toc.items[0].children] == \
        [('chat-2', '<code>Chat</code>', []), ('chat-2-2', 'Chat 2', ['figure-1-2']), ('h-1-plain', '1. Plain', [])]


def test_search_indexes_text_not_scripts(site):
    import json
    docs = json.loads((site / 'search' / 'search_index.json').read_text())['docs']
    leaked = ('function (global, factory)', 'Plotly.newPlot', 'var(--jp-')  # plotly.js, a figure's script, JupyterLab's stylesheet
    found = [d['location'] for d in docs if any(s in d['text'] for s in leaked)]  # (`reports` shows a few `.jp-` rules as code: text)
    assert not found, found[:5]
    assert any('hierarchical' in d['text'] for d in docs if d['location'].startswith('10_templates'))


def test_headings_contents_and_edit_links(site):
    import re
    chat = (site / '06_chat' / 'index.html').read_text()
    ids = re.findall(r'<h[1-6] id="([^"]*)"', chat)
    assert len(ids) == len(set(ids)) and 'chat-2' in ids  # "# Chat" and "## `Chat`": two headings, two ids
    assert 'href="#chat-2" class="nav-link"><code>Chat</code>' in chat  # its sidebar entry is named, and leads to it
    assert 'id="h-1-the-student"' in (site / '90_pipeline' / 'index.html').read_text()  # an id that is also a CSS selector
    assert 'href="https://github.com/supercorrect-nb/supercorrect_nb/edit/main/nbs/06_chat.ipynb"' in chat
    ref = (site / 'reference' / 'supercorrect_nb.chat' / 'index.html').read_text()
    assert '/edit/main/nbs/06_chat.ipynb"' in ref  # a reference page is edited in the notebook its module comes from


def test_tests_and_imports_fold_and_prompts_go():
    bd = _tool('build_docs')
    assert [bd.folded(s) for s in ('test_eq(f(1), 2)\nassert g()', 'import os\nfrom x import y', 'x = f(1)\ntest_eq(x, 2)', 'def (')] == \
        ['tests', 'imports', None, None]


def test_folded_cells_are_tagged_on_their_page(site):
    grading = (site / '01_grading' / 'index.html').read_text()
    assert 'celltag_tests' in grading and 'In&nbsp;[' not in grading


def test_check_finds_what_it_must():
    cd = _tool('check_docs')
    text = "ok /usr/bin/env and ~/work and https://x.org/home/a\nsaved to /tmp/tmpab12/x.json\n/home/me/.venv/lib/site.py:3: UserWarning: bad\n"
    assert [m.group(0) for m in cd.LOCAL_PATH.finditer(text)] == ['/tmp/tmpab12', '/home/me']
    assert cd.NOISE['a warning'].search(text) and not cd.NOISE['a warning'].search('no warnings here')
    assert cd.NOISE['a progress bar'].search('solve: 100%|██████████| 150/150 [00:04<00:00, 34.00it/s]')
    assert cd.NOISE['a prompt'].search('In\xa0[\xa0]:\nimport os') and not cd.NOISE['a prompt'].search('x = d["In"]')


def test_check_reads_links_and_anchors(tmp_path):
    cd = _tool('check_docs')
    (tmp_path / 'a').mkdir()
    (tmp_path / 'index.html').write_text('x'); (tmp_path / 'a' / 'index.html').write_text('y')
    base = 'http://127.0.0.1:1/site'
    seen = dict(errors=[], requests=[base + '/', 'https://cdn.example/x.js'], text='fine', duplicate_ids=['x'], undrawn=['plotly-figure-1'],
                links=[base + '/a/#there', base + '/a/#nowhere', base + '/b/', 'http://127.0.0.1:1/a/', 'https://example.org/'],
                all_text=f'fine\nsee {cd.MACHINE_PATHS[0]}', outputs='UserWarning: careful')
    ids = {tmp_path / 'a' / 'index.html': {'there'}}
    got = cd.problems(tmp_path, base, '/', seen, ids)
    assert got[:6] == ['request to another host: https://cdn.example/x.js', 'broken anchor: /a/#nowhere', 'broken link: /site/b/',
                       'broken link: /a/', 'id used twice: x', 'figure not drawn: plotly-figure-1']  # (/a/ is outside the site's path)
    assert any(g.startswith('a warning') for g in got) and any(g.startswith('a folder of the machine') for g in got)
    seen.update(outputs='', text='Warning: this is slow, in prose', all_text='')
    assert not cd.problems(tmp_path, base, '/', {**seen, 'requests': [], 'links': [], 'duplicate_ids': [], 'undrawn': []}, ids)
    assert cd.site_pages(tmp_path) == ['/', '/a/']


def test_server_keeps_to_the_site_path(tmp_path):
    import urllib.error, urllib.request
    cd = _tool('check_docs')
    (tmp_path / 'index.html').write_text('home')
    srv, base = cd.serve(tmp_path)
    try:
        assert base.endswith('/supercorrect_nb') and urllib.request.urlopen(base + '/').read() == b'home'
        try: urllib.request.urlopen(base.rsplit('/', 1)[0] + '/index.html'); assert False, 'served outside the site path'
        except urllib.error.HTTPError as e: assert e.code == 404
    finally: srv.shutdown()


def test_committed_notebook_outputs_are_clean():
    "No absolute local path, warning or progress bar in what the committed notebooks show."
    import json
    cd = _tool('check_docs')
    for nb in sorted((ROOT / 'nbs').glob('*.ipynb')):
        for cell in json.loads(nb.read_text())['cells']:
            for o in cell.get('outputs', []):
                text = ''.join(o.get('text', '')) + ''.join(''.join(v) for k, v in o.get('data', {}).items() if k.startswith('text/'))
                text += '\n'.join(o.get('traceback', []))
                hits = [rx.pattern for rx in (cd.LOCAL_PATH, *cd.NOISE.values()) if rx.search(text)]
                assert not hits, f'{nb.name}: {hits} in {text[:300]!r}'
