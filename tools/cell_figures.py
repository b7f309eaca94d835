"""How literate are the notebooks? Sizes of the exported cells and how many public names are shown in use.

    python tools/cell_figures.py [nbs] [--worst 10] [--check]

Only the numbered notebooks (`nbs/[0-9]*.ipynb`) count. The figures:
- an exported cell's size is its count of non-blank lines, `#|` directive lines left out;
- median, 90th percentile (the sorted sizes at index int(0.9 * (n - 1))) and largest size;
- a public name is a `def` or `class` at the start of a line of an exported cell, its name not starting
  with `_`; it is demonstrated when a code cell that is not exported, among the next three code cells,
  mentions it as a word.
`--check` exits with 1 unless the targets of issue 12 are met (see TARGETS). Only the standard library is used.
"""
import argparse, json, re, statistics, sys
from dataclasses import dataclass, field
from pathlib import Path

TARGETS = dict(median=10, p90=25, max=40, demonstrated=0.85)  # sizes at most, share at least
DEF = re.compile(r'^(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z]\w*)', re.M)
LOOKAHEAD = 3  # code cells after an exported one in which its names must be shown


def code_sources(nb: dict) -> list[str]:
    "The source text of each code cell of a notebook (as read by `json.load`), in order."
    return [s if isinstance(s, str) else ''.join(s) for s in (c['source'] for c in nb['cells'] if c['cell_type'] == 'code')]


def is_exported(src: str) -> bool:
    "Whether a cell is exported: its first non-blank line is a `#| export...` directive."
    first = next((l for l in src.splitlines() if l.strip()), '')
    return re.match(r'\s*#\|\s*export', first) is not None


def cell_size(src: str) -> int:
    "Non-blank lines that are not `#|` directives."
    return sum(1 for l in src.splitlines() if l.strip() and not l.lstrip().startswith('#|'))


def public_names(src: str) -> list[str]:
    "Names of the top-level `def`s and `class`es that do not start with `_`."
    return DEF.findall(src)


def mentions(name: str, text: str) -> bool:
    "Whether `name` occurs in `text` as a whole word."
    return re.search(r'\b' + re.escape(name) + r'\b', text) is not None


def headline(src: str) -> str:
    "The first line of a cell that is not a comment, directive or decorator, to name it in a listing."
    return next((l.strip() for l in src.splitlines() if l.strip() and not l.lstrip().startswith(('#', '@'))), '')[:60]


@dataclass
class Figures:
    cells: list = field(default_factory=list)    # (size, notebook, headline) per exported cell
    names: list = field(default_factory=list)    # (notebook, name, demonstrated) per public name

    def add_notebook(self, path: Path):
        "Measure one notebook's exported cells and public names."
        srcs = code_sources(json.loads(Path(path).read_text(encoding='utf-8')))
        for i, src in enumerate(srcs):
            if not is_exported(src): continue
            self.cells.append((cell_size(src), Path(path).name, headline(src)))
            shown = '\n'.join(s for s in srcs[i + 1:i + 1 + LOOKAHEAD] if not is_exported(s))
            self.names += [(Path(path).name, n, mentions(n, shown)) for n in public_names(src)]

    @property
    def sizes(self) -> list[int]: return sorted(c[0] for c in self.cells)
    @property
    def median(self) -> float: return statistics.median(self.sizes) if self.cells else 0
    @property
    def p90(self) -> int: return self.sizes[int(0.9 * (len(self.sizes) - 1))] if self.cells else 0
    @property
    def max(self) -> int: return max(self.sizes, default=0)
    @property
    def demonstrated(self) -> float: return sum(d for *_, d in self.names) / len(self.names) if self.names else 1.0

    def misses(self, targets: dict = TARGETS) -> list[str]:
        "The targets not met, each as a sentence; empty when all are."
        out = [f'{k} {getattr(self, k)} > {targets[k]}' for k in ('median', 'p90', 'max') if getattr(self, k) > targets[k]]
        if self.demonstrated < targets['demonstrated']:
            out.append(f'demonstrated {self.demonstrated:.1%} < {targets["demonstrated"]:.0%}')
        return out

    def summary(self) -> str:
        shown = sum(d for *_, d in self.names)
        return (f'{len(self.cells)} exported cells: median {self.median}, p90 {self.p90}, max {self.max} lines; '
                f'{shown}/{len(self.names)} public names demonstrated ({self.demonstrated:.1%})')


def measure(folder='nbs') -> Figures:
    "The figures of the numbered notebooks in `folder`."
    fig = Figures()
    for path in sorted(Path(folder).glob('[0-9]*.ipynb')): fig.add_notebook(path)
    return fig


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('folder', nargs='?', default='nbs')
    ap.add_argument('--worst', type=int, default=10, help='how many of the largest cells and missing names to list')
    ap.add_argument('--check', action='store_true', help='exit with 1 unless the targets are met')
    a = ap.parse_args(argv)
    fig = measure(a.folder)
    print(fig.summary())
    print('targets: median <= {median}, p90 <= {p90}, max <= {max}, demonstrated >= {demonstrated:.0%}'.format(**TARGETS))
    for size, nb, head in sorted(fig.cells, key=lambda c: -c[0])[:a.worst]: print(f'  {size:4d}  {nb}  {head}')
    missing = [f'{nb}: {n}' for nb, n, d in fig.names if not d]
    if missing and a.worst: print('not demonstrated in the next cells:', ', '.join(missing[:a.worst]) + (' ...' if len(missing) > a.worst else ''))
    misses = fig.misses()
    if a.check: print('targets met' if not misses else 'targets missed: ' + '; '.join(misses))
    return 1 if a.check and misses else 0


if __name__ == '__main__': sys.exit(main())
