"""Write everything derived from the notebooks (the module, README.md), clean the notebooks, and, with
--check, fail if any of it changed: the committed files must already be clean and in sync."""
import hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def snapshot() -> dict:
    files = [*ROOT.glob('nbs/*.ipynb'), *ROOT.glob('supercorrect_nb/*.py'), ROOT / 'README.md']
    return {f.relative_to(ROOT): hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.exists()}


def readme():
    "README.md from nbs/index.ipynb: its prose, code and outputs as Markdown."
    import nbformat
    from nbconvert import MarkdownExporter
    nb = nbformat.read(ROOT / 'nbs/index.ipynb', as_version=4)
    for c in nb.cells:
        if c.cell_type == 'code': c.source = '\n'.join(l for l in c.source.splitlines() if not l.startswith('#|'))
    body, _ = MarkdownExporter().from_notebook_node(nb)
    note = '<!-- Generated from nbs/index.ipynb by `make export`: edit the notebook, not this file. -->\n\n'
    (ROOT / 'README.md').write_text(note + body.strip() + '\n', encoding='utf-8')


def main(check: bool):
    before = snapshot()
    for cmd in ('nbdev_clean', 'nbdev_export'):
        subprocess.run([str(BIN / cmd)], cwd=ROOT, check=True)
    readme()
    after = snapshot()
    changed = sorted(str(f) for f in set(before) | set(after) if before.get(f) != after.get(f))
    if check and changed:
        print('Out of sync or unclean (now rewritten; review `git diff` and commit):', *changed, sep='\n  ')
        sys.exit(1)
    print('notebooks clean; module and README in sync' if not changed else 'rewrote: ' + ', '.join(changed))


if __name__ == '__main__':
    main('--check' in sys.argv)
