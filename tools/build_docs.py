"""Render the docs site from nbs/ into _docs/ with MkDocs (offline, pip-installable; Quarto is not).

Each notebook becomes a page (nbdev directive lines removed, `#| hide` cells left out), and each
exported module gets an API reference page written by mkdocstrings from its docstrings and signatures."""
import importlib, shutil, sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / '_build' / 'docs_src'


def modules() -> list[str]:
    "The exported modules, from nbdev's index."
    from supercorrect_nb._modidx import d
    return sorted(m for m in d['syms'])


def exported(mod: str) -> list[str]:
    "The names a module exports (its `__all__`)."
    return list(getattr(importlib.import_module(mod), '__all__', []))


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
            cells.append(c)
        nb.cells = cells
        nbformat.write(nb, SRC / f.name)
        title = next((l[2:].strip() for c in cells if c.cell_type == 'markdown' for l in c.source.splitlines() if l.startswith('# ')), f.stem)
        nav.append({title: f.name})
    nav.insert(0, nav.pop(next(i for i, n in enumerate(nav) if 'index.ipynb' in n.values())))
    ref = []
    for mod in modules():
        names = exported(mod)
        members = '\n'.join(f'        - {n}' for n in names)
        (SRC / 'reference' / f'{mod}.md').write_text(
            f'# `{mod}`\n\n::: {mod}\n    options:\n      members:\n{members}\n' if names else f'# `{mod}`\n\n::: {mod}\n')
        ref.append({mod: f'reference/{mod}.md'})
    nav.append({'API reference': ref})
    (SRC / 'extra.css').write_text('.jp-InputPrompt, .jp-OutputPrompt { display: none; }\n')  # nbdev_clean drops the counts
    return nav


def build(site_dir=ROOT / '_docs'):
    "Build the site into `site_dir`."
    import yaml
    from mkdocs.commands.build import build as mk_build
    from mkdocs.config import load_config
    cfg_text = (ROOT / 'mkdocs.yml').read_text()
    nav = prepare()
    cfg = yaml.safe_load(cfg_text)
    cfg.update(docs_dir=str(SRC), site_dir=str(site_dir), nav=nav)
    tmp = ROOT / '_build' / 'mkdocs.yml'
    tmp.write_text(yaml.safe_dump(cfg, sort_keys=False))
    mk_build(load_config(str(tmp)))
    print(f'docs: {len(nav) - 1} notebook pages and {len(nav[-1]["API reference"])} reference pages in {site_dir}')


if __name__ == '__main__':
    build(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / '_docs')  # relative to where it is run, not to _build/mkdocs.yml
