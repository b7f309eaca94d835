"""Render the docs site from nbs/ into _docs/ with MkDocs (offline, pip-installable; Quarto is not).

Each notebook becomes a page (nbdev directive lines removed, `#| hide` cells left out, cells of
only tests or only imports folded, plotly figures drawn), and each exported module gets an API reference page
written by mkdocstrings from its docstrings and signatures. `tools/docs_hooks.py` keeps the pages
offline and their tables of contents and edit links right; `tools/check_docs.py` checks the result."""
import ast, importlib, shutil, sys
from pathlib import Path

import nbformat

from supercorrect_nb.reports import NOTEBOOK_CSS, figure_html

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / '_build' / 'docs_src'


def modules() -> list[str]:
    "The exported modules, from nbdev's index."
    from supercorrect_nb._modidx import d
    return sorted(m for m in d['syms'])


def exported(mod: str) -> list[str]:
    "The names a module exports (its `__all__`)."
    return list(getattr(importlib.import_module(mod), '__all__', []))


def folded(source: str) -> str | None:
    "The fold a code cell starts in on its page: 'tests' (only `test_*` calls and asserts), 'imports', or None (shown)."
    try: body = ast.parse(source).body
    except SyntaxError: return None
    test = lambda s: isinstance(s, ast.Assert) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
                                                   and isinstance(s.value.func, ast.Name) and s.value.func.id.startswith('test_'))
    if body and all(map(test, body)): return 'tests'
    if body and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body): return 'imports'


CSS = NOTEBOOK_CSS  # the cell rules the reports share (prompts hidden, wide tables scroll, folds)
# Cells of only tests or only imports fold into one line the reader can open (without JavaScript they stay open).
JS = """for (const [tag, label] of [['tests', 'Tests'], ['imports', 'Imports']])
  document.querySelectorAll('.jp-Cell.celltag_' + tag).forEach(cell => {
    const box = document.createElement('details'), summary = document.createElement('summary');
    box.className = 'folded-cell'; summary.textContent = label;
    cell.before(box); box.append(summary, cell);
  });
"""


PARTS = (('Foundations', '0'), ('SuperCorrect', '12'), ('MathCritique', '3'), ('Testbed', '5'), ('Pipeline', '6789'))  # by first digit


def prepare() -> list:
    "Fill _build/docs_src and return the MkDocs nav."
    shutil.rmtree(SRC, ignore_errors=True)
    (SRC / 'reference').mkdir(parents=True)
    nav = []
    for f in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb = nbformat.read(f, as_version=4)
        cells = []
        for c in nb.cells:
            lines = c.source.splitlines()
            if c.cell_type == 'code':
                if any(l.replace(' ', '') in ('#|hide', '#|include:false') for l in lines): continue
                c.source = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
                if not c.source and not c.get('outputs'): continue
                if (fold := folded(c.source)) and not c.get('outputs'): c.metadata['tags'] = [fold]
            cells.append(c)
        nb.cells = cells
        figure_html(nb, include_plotlyjs=False)  # the page loads plotly.js (docs_hooks)
        nbformat.write(nb, SRC / f.name)
        title = next((l[2:].strip() for c in cells if c.cell_type == 'markdown' for l in c.source.splitlines() if l.startswith('# ')), f.stem)
        nav.append({title: f.name})
    nav.insert(0, nav.pop(next(i for i, n in enumerate(nav) if 'index.ipynb' in n.values())))
    parts = [{part: [n for n in nav[1:] if next(iter(n.values()))[:1] in first]} for part, first in PARTS]
    if missing := len(nav) - 1 - sum(len(p) for part in parts for p in part.values()):
        raise ValueError(f'{missing} notebooks start with a digit no part of PARTS takes')
    nav = nav[:1] + parts
    ref = []
    for mod in modules():
        names = exported(mod)
        members = '\n'.join(f'        - {n}' for n in names)
        (SRC / 'reference' / f'{mod}.md').write_text(
            f'# `{mod}`\n\n::: {mod}\n    options:\n      members:\n{members}\n' if names else f'# `{mod}`\n\n::: {mod}\n')
        ref.append({mod: f'reference/{mod}.md'})
    nav.append({'API reference': ref})
    from pygments.formatters import HtmlFormatter
    (SRC / 'extra.css').write_text(CSS + HtmlFormatter().get_style_defs('.highlight') + '\n')  # code in the prose, coloured here
    (SRC / 'extra.js').write_text(JS)
    return nav


def build(site_dir=ROOT / '_docs'):
    "Build the site into `site_dir`."
    import yaml
    from mkdocs.commands.build import build as mk_build
    from mkdocs.config import load_config
    cfg_text = (ROOT / 'mkdocs.yml').read_text()
    nav = prepare()
    cfg = yaml.safe_load(cfg_text)
    cfg.update(docs_dir=str(SRC), site_dir=str(site_dir), nav=nav, hooks=[str(ROOT / 'tools' / 'docs_hooks.py')])
    jupyter = next(p['mkdocs-jupyter'] for p in cfg['plugins'] if isinstance(p, dict) and 'mkdocs-jupyter' in p)
    jupyter['cache_dir'] = str(ROOT / '_build' / 'mkdocs-jupyter')  # (not .cache/ in the folder it runs from)
    tmp = ROOT / '_build' / 'mkdocs.yml'
    tmp.write_text(yaml.safe_dump(cfg, sort_keys=False))
    mk_build(load_config(str(tmp)))
    pages = 1 + sum(len(next(iter(part.values()))) for part in nav[1:-1])
    print(f'docs: {pages} notebook pages and {len(nav[-1]["API reference"])} reference pages in {site_dir}')


if __name__ == '__main__':
    build(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / '_docs')  # relative to where it is run, not to _build/mkdocs.yml
