"""`make docs-check`: serve the built site on localhost, open every page in headless Chromium, and fail
on what a newcomer reading it offline would trip over.

The site is served under its published path (`/supercorrect_nb/`), so a link from the server's root
breaks here as it would there. A page fails on: a request to any other host; a JavaScript error (or
a console error, such as a resource that did not load); a link to a page, file or anchor the site
does not have; an id used twice; a figure that did not draw; an absolute local path in its text
(folded cells included); a warning or a progress bar in a cell's output; an `In [ ]:` prompt where
the reader can see it.
Links to other sites are listed, not followed (the check runs offline).

    python tools/check_docs.py _docs        # the site `make docs` wrote
    python tools/check_docs.py runs/testbed/pipeline.html   # one report page (`check_file`)
"""
import functools, http.server, os, re, shutil, sys, threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions']
LOCAL_PATH = re.compile(r'(?<![\w.~/-])(?:/(?:home|root|work|tmp|Users|mnt|opt|private|var/folders|usr/local)/[\w.@+-]+'
                        r'|[A-Za-z]:\\(?:Users|Windows)\\|file://)')
# This machine's own folders, whatever their names: the project, the home folder, the Python in use.
MACHINE_PATHS = sorted({str(p) for p in (Path(__file__).resolve().parent.parent, Path.home(), Path(sys.prefix)) if len(p.parts) > 2})
NOISE = {'a warning': re.compile(r'\b\w*Warning\b[:(]|\bwarnings\.warn\('),
         'a progress bar': re.compile(r'\d+%\|[^\n]*\||\d+(?:\.\d+)?(?:it|s)/(?:s|it)\]'),
         'a prompt': re.compile(r'^\s*(?:In|Out)\s*\[\s*\d*\s*\]:', re.M)}


def chromium() -> str:
    "Debian's Chromium (or `$CHROMIUM`): the browser the check drives."
    exe = os.environ.get('CHROMIUM') or shutil.which('chromium') or shutil.which('chromium-browser')
    if not exe: sys.exit('docs-check needs Chromium: `apt-get install chromium` (Debian), or set CHROMIUM to its path')
    return exe


def published_path() -> str:
    "The folder the site is published under (mkdocs.yml's `site_url`): a link from the server's root breaks there."
    import yaml
    return urlparse(yaml.safe_load((Path(__file__).resolve().parent.parent / 'mkdocs.yml').read_text())['site_url']).path.rstrip('/')


BASE_PATH = published_path()


def serve(site: Path, base_path: str = BASE_PATH) -> tuple[http.server.ThreadingHTTPServer, str]:
    "Serve `site` under `base_path` on a free localhost port, quietly, in a thread; the server and the site's URL."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
        def translate_path(self, path):  # outside base_path: a file that is not there (404)
            inside = path == base_path or path.startswith(base_path + '/')
            return super().translate_path(path[len(base_path):] or '/') if inside else str(site / '(outside the site path)')
    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address): pass  # the browser dropping a connection it no longer needs
    srv = Server(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f'http://127.0.0.1:{srv.server_port}{base_path}'


def site_pages(site: Path) -> list[str]:
    "Every page of the site (its not-found page included), as a URL path."
    return sorted(['/' + p.relative_to(site).parent.as_posix().strip('.').strip('/') + ('/' if p.parent != site else '')
                   for p in site.rglob('index.html')] + ['/404.html'] * (site / '404.html').exists())


def target_file(site: Path, path: str) -> Path | None:
    "The file a URL path names in the site, if there is one."
    f = site / unquote(path).lstrip('/')
    if f.is_dir(): f = f / 'index.html'
    return f if f.is_file() else None


def page_text(page) -> tuple[str, str, str]:
    "The page's main text as a reader sees it; the same with every fold open; and the text of its cell outputs."
    return page.evaluate("""() => {
        const main = document.querySelector('[role=main]') || document.body, shown = main.innerText;
        const shut = [...main.querySelectorAll('details:not([open])')];
        shut.forEach(d => d.open = true);
        const all = main.innerText, outputs = [...main.querySelectorAll('.jp-OutputArea')].map(o => o.innerText).join('\\n');
        shut.forEach(d => d.open = false);
        return [shown, all, outputs]; }""")


def read_page(page, base: str, path: str) -> dict:
    "Load one page; what it requested, the errors it raised, its ids, links, undrawn figures and text."
    seen = dict(requests=[], errors=[])
    page.on('request', lambda r: seen['requests'].append(r.url))
    page.on('pageerror', lambda e: seen['errors'].append(f'JavaScript error: {e}'))
    page.on('console', lambda m: m.type == 'error' and seen['errors'].append(f'console error: {m.text}'))
    page.on('requestfailed', lambda r: seen['errors'].append(f'request failed: {r.url} ({r.failure})'))
    page.on('response', lambda r: r.status >= 400 and seen['errors'].append(f'HTTP {r.status}: {r.url}'))
    page.goto(base + path, wait_until='load')
    page.wait_for_timeout(300)  # let scripts that run after load (search, figures) finish
    ids = page.evaluate("() => [...document.querySelectorAll('[id],a[name]')].map(e => e.id || e.name)")
    seen['ids'], seen['duplicate_ids'] = set(ids), sorted({i for i in ids if ids.count(i) > 1})
    seen['links'] = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    seen['undrawn'] = page.evaluate("() => [...document.querySelectorAll('.plotly-graph-div')].filter(d => !d.querySelector('.main-svg')).map(d => d.id)")
    seen['text'], seen['all_text'], seen['outputs'] = page_text(page)
    return seen


def problems(site: Path, base: str, path: str, seen: dict, ids: dict) -> list[str]:
    "What is wrong with one page, given every page's ids."
    host, root, out = urlparse(base).netloc, urlparse(base).path, list(seen['errors'])
    out += [f'request to another host: {u}' for u in seen['requests'] if urlparse(u).scheme in ('http', 'https', 'ws', 'wss')
            and urlparse(u).netloc != host]
    for link in seen['links']:
        u = urlparse(link)
        if u.scheme in ('http', 'https') and u.netloc == host:
            url, frag = urldefrag(link)
            where = urlparse(url).path
            f = target_file(site, where[len(root):]) if where == root or where.startswith(root + '/') else None
            if f is None: out.append(f'broken link: {where}')
            elif frag and f.name.endswith('.html') and not {frag, unquote(frag)} & ids.get(f, set()):  # as a browser looks: raw, then decoded
                out.append(f'broken anchor: {link[len(base):]}')
        elif u.scheme == 'file': out.append(f'link to a local file: {link}')
    out += [f'id used twice: {i}' for i in seen.get('duplicate_ids', [])] + [f'figure not drawn: {i}' for i in seen.get('undrawn', [])]
    all_text = seen.get('all_text', seen['text'])
    for what, rx, text in (('absolute local path', LOCAL_PATH, all_text), ('a prompt', NOISE['a prompt'], seen['text']),
                           ('a warning', NOISE['a warning'], seen.get('outputs', '')), ('a progress bar', NOISE['a progress bar'], seen.get('outputs', ''))):
        out += [f'{what}: {text[max(0, m.start() - 40):m.end() + 20]!r}' for m in rx.finditer(text)]
    out += [f'a folder of the machine that built it: {p}' for p in MACHINE_PATHS if p in all_text]
    return out


def check(site: Path) -> int:
    "Check every page of `site`; print what failed and return the number of problems."
    from playwright.sync_api import sync_playwright
    srv, base = serve(site)
    found, outside = {}, set()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
            ctx = browser.new_context(service_workers='block')
            for path in site_pages(site):
                page = ctx.new_page()
                found[path] = read_page(page, base, path)
                page.close()
            browser.close()
    finally: srv.shutdown()
    ids = {target_file(site, path): seen['ids'] for path, seen in found.items()}
    bad = 0
    for path, seen in found.items():
        outside |= {l for l in seen['links'] if urlparse(l).scheme in ('http', 'https') and urlparse(l).netloc != urlparse(base).netloc}
        for msg in problems(site, base, path, seen, ids):
            print(f'{path}: {msg}'); bad += 1
    n_links = sum(len(s['links']) for s in found.values())
    print(f'docs-check: {len(found)} pages, {n_links} links ({len(outside)} distinct ones to other sites, not followed): '
          + ('no problems' if not bad else f'{bad} problems'))
    return bad


def check_file(page: Path) -> list[str]:
    "The same checks on one self-contained page (a run's report), served from its folder: what is wrong with it."
    from playwright.sync_api import sync_playwright
    page = Path(page).resolve()
    srv, base = serve(page.parent, '')
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
            tab = browser.new_context(service_workers='block').new_page()
            seen = read_page(tab, base, '/' + page.name)
            browser.close()
    finally: srv.shutdown()
    return problems(page.parent, base, '/' + page.name, seen, {page: seen['ids']})


if __name__ == '__main__':
    target = Path(sys.argv[1] if len(sys.argv) > 1 else '_docs').resolve()
    if target.is_file():
        found = check_file(target)
        print(*found, f'{target.name}: ' + ('no problems' if not found else f'{len(found)} problems'), sep='\n')
        sys.exit(1 if found else 0)
    sys.exit(1 if check(target) else 0)
