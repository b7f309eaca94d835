"""`make pipeline-page`: keep a real run's results in `nbs/90_pipeline.ipynb`, so that its docs page shows
them (the headline, the tables, the figures) and not empty cells.

It runs the demo (`testbed` preset; a finished run is read back, an unfinished one goes on), then runs
it once more so that every step is read back and the cells hold results, not training logs, and keeps
that executed notebook without papermill's parameter cell: the notebook still runs any preset.
"""
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def keep_page(executed: Path, page: Path):
    "Write the executed notebook to `page` without the cell papermill injected."
    nb = nbformat.read(executed, as_version=4)
    nb.cells = [c for c in nb.cells if 'injected-parameters' not in c.metadata.get('tags', [])]
    for c in nb.cells: c.metadata.pop('papermill', None)
    nb.metadata.pop('papermill', None)
    nbformat.write(nb, page)


def main(preset: str = 'testbed'):
    from supercorrect_nb.pipeline import pipeline_config, run_pipeline
    for _ in range(2): run_pipeline(preset)
    keep_page(pipeline_config(preset).dir / 'pipeline.ipynb', ROOT / 'nbs' / '90_pipeline.ipynb')
    print(f'nbs/90_pipeline.ipynb now holds the {preset} run; `make export` cleans it')


if __name__ == '__main__':
    main(*sys.argv[1:])
