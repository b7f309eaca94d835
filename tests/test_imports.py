"""The package's modules import one another without a cycle, counting imports inside functions too:
a cycle makes the import order matter and hides which module owns a name (issue 30 found
`correction` and `evaluation` importing each other for the statistics)."""
import ast
from pathlib import Path

import supercorrect_nb

PACKAGE = Path(supercorrect_nb.__file__).parent


def imports_of(path: Path, known: set[str]) -> set[str]:
    "The package modules `path` imports, relatively or by the package's name, anywhere in the file."
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split('.')
            if node.level == 1: found.add(parts[0])
            elif parts[0] == 'supercorrect_nb' and len(parts) > 1: found.add(parts[1])
    return found & known - {path.stem}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    "Every cycle a depth-first walk meets, each as the modules along it."
    state, stack, found = {}, [], []
    def walk(u):
        state[u] = 'open'; stack.append(u)
        for v in sorted(graph[u]):
            if state.get(v) == 'open': found.append(stack[stack.index(v):] + [v])
            elif v not in state: walk(v)
        stack.pop(); state[u] = 'done'
    for u in sorted(graph):
        if u not in state: walk(u)
    return found


def module_graph() -> dict[str, set[str]]:
    files = {p.stem: p for p in PACKAGE.glob('*.py') if not p.stem.startswith('_')}
    return {m: imports_of(p, set(files)) for m, p in files.items()}


def test_cycles_are_found():
    assert cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == [['a', 'b', 'c', 'a']]
    assert cycles({'a': {'b'}, 'b': set()}) == []


def test_no_import_cycles():
    graph = module_graph()
    assert {'stats', 'evaluation', 'correction'} <= set(graph)
    assert cycles(graph) == []


def test_statistics_sit_low():
    "`stats` takes nothing from the package but grading, so every module can use it."
    assert module_graph()['stats'] <= {'grading'}
