import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get('SUPERCORRECT_SHARED_DATA') or ROOT.parent / 'shared' / 'data')


@pytest.fixture
def shared():
    "The shared data folder beside the checkout (training sets live there)."
    if not SHARED.exists(): pytest.skip(f'shared data folder {SHARED} is not here')
    return SHARED


def pytest_configure(config):
    config.addinivalue_line('markers', 'slow: fetches or runs a real pretrained model (minutes; skips with a reason when it cannot be had)')


@pytest.fixture
def browser_check():
    "`tools/check_docs.check_file`: a report page opened in headless Chromium, as the docs are; what is wrong with it."
    import shutil, sys
    if not (os.environ.get('CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')):
        pytest.skip('no Chromium here (`make chromium` installs it)')
    sys.path.insert(0, str(ROOT / 'tools'))
    from check_docs import check_file
    return check_file
