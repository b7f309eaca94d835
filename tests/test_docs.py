"""The docs site: every notebook becomes a page, every exported name appears in the API reference."""
import importlib
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
        assert html.escape(title, quote=False) in page.read_text(), f'{nb.name}: its title {title!r} is not on its page'
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
