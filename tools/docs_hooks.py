"""MkDocs hooks for the docs site (`tools/build_docs.py` registers them): each page works offline,
its table of contents matches its headings, and its edit link opens the notebook it comes from."""
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADING = re.compile(r'<h([1-6])\b([^>]*)>(.*?)</h\1>', re.S)
ID = re.compile(r'(?<![\w-])id="([^"]*)"')
ANCHOR = re.compile(r'<a class="anchor-link" href="#[^"]*">¶</a>')
# nbconvert's page head, which mkdocs-jupyter puts in the content, loads MathJax and mermaid from a CDN;
# no page has math to typeset or a diagram to draw.
CDN_SCRIPTS = re.compile(r'<!-- Load mathjax -->\s*<script src="[^"]*">\s*</script>'
                         r'|<script type="text/x-mathjax-config">.*?</script>'
                         r'|<script type="module">(?:(?!</script>).)*?mermaid(?:(?!</script>).)*</script>', re.S)
INLINE = re.compile(r'<style\b[^>]*>.*?</style>|<script\b(?![^>]*\bsrc=)[^>]*>.*?</script>', re.S)
PLOTLY_JS = 'js/plotly.min.js'


def _nest(tokens: list[dict]) -> list[dict]:
    "Flat headings, in page order, as a tree by level."
    root, stack = [], []
    for t in tokens:
        while stack and stack[-1]['level'] >= t['level']: stack.pop()
        (stack[-1]['children'] if stack else root).append(t)
        stack.append(t)
    return root



def on_page_content(html, page, config, files):
    """A notebook page's headings get unique ids, and its table of contents is read from them. Its inline
    styles and scripts are set aside (`on_post_page` puts them back), so that search indexes its text only."""
    if not page.file.src_path.endswith('.ipynb'): return html
    html = CDN_SCRIPTS.sub('', html)
    page.set_aside = INLINE.findall(html)
    html = INLINE.sub('', html)
    from mkdocs.structure.toc import get_toc
    used, tokens = set(ID.findall(HEADING.sub('', html))), []  # the ids that are not headings' come first
    def unique(m):
        level, attrs, inner = int(m[1]), m[2], m[3]
        old = ID.search(attrs)[1] if ID.search(attrs) else re.sub(r'[^\w]+', '-', ANCHOR.sub('', re.sub('<[^>]+>', '', inner)).lower()).strip('-')
        base = f'h-{old}' if old[:1].isdigit() or not old else old  # "## 1. The student": an id that is also a CSS selector
        new, n = base, 1
        while new in used: n += 1; new = f'{base}-{n}'
        used.add(new)
        tokens.append(dict(level=level, id=new, name=ANCHOR.sub('', inner).strip(), children=[]))
        inner = inner.replace(f'href="#{old}"', f'href="#{new}"')
        attrs = ID.sub(f'id="{new}"', attrs) if ID.search(attrs) else f'{attrs} id="{new}"'
        return f'<h{level}{attrs}>{inner}</h{level}>'
    html = HEADING.sub(unique, html)
    page.toc = get_toc(_nest(tokens))
    return html


def _source_notebook(page) -> str | None:
    "The notebook a page comes from: its own, or, for a reference page, the one its module is exported from."
    src = page.file.src_path
    if src.endswith('.ipynb'): return src
    if m := re.fullmatch(r'reference/supercorrect_nb\.(\w+)\.md', src):
        head = (ROOT / 'supercorrect_nb' / f'{m[1]}.py').read_text().splitlines()[:20]  # (nbdev's header, after the docstring)
        return next((l.split('../nbs/')[1].rstrip('.') for l in head if 'File to edit: ../nbs/' in l), None)


def on_page_context(context, page, config, nav):
    "The edit link opens the source notebook on the main branch."
    nb = _source_notebook(page)
    page.edit_url = f"{config['repo_url'].rstrip('/')}/edit/main/nbs/{nb}" if nb else None
    return context


def on_post_page(output, page, config):
    "The set-aside styles (in the head) and scripts (at the end) back; plotly.js, from this site, where figures are drawn."
    aside = getattr(page, 'set_aside', [])
    styles, scripts = [x for x in aside if x.startswith('<style')], [x for x in aside if x.startswith('<script')]
    head, tail = output.split('</head>', 1)
    body, end = tail.rsplit('</body>', 1)  # (the page's own end: an output may hold a whole HTML page of its own)
    output = head + '\n'.join(styles) + '\n</head>' + body + '\n'.join(scripts) + '\n</body>' + end
    if 'plotly-graph-div' in output:
        from mkdocs.utils import get_relative_url
        output = output.replace('</head>', f'<script src="{get_relative_url(PLOTLY_JS, page.url)}"></script>\n</head>', 1)
    return output


def on_post_build(config):
    "Copy plotly.js, from the installed plotly package, into the site."
    import plotly
    shutil.copy(Path(plotly.__file__).parent / 'package_data' / 'plotly.min.js', Path(config['site_dir']) / PLOTLY_JS)
