"""The layout keeps its import rules: no import circle among the project's modules, and the
engine and the grader know nothing of Telegram (the grader nothing of `bot` at all).

The imports are read from the source with `ast`, not by importing anything: every `import` and
`from … import` statement counts, also those inside functions or under `if TYPE_CHECKING:`.
Relative imports are resolved against the importing module. Importing a package counts as
importing its `__init__`; `from package import name`, where `name` is a submodule, counts as
importing that submodule. Only the parent packages Python runs implicitly before a submodule are
left out: otherwise every package whose `__init__` imports its own submodules would be a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "grading", "questions", "mockbot_testing")


def project_modules() -> dict[str, Path]:
    """Module name -> source file, for every module of the project's packages (folders without
    an `__init__.py`, such as the Alembic migration scripts, hold no importable modules)."""
    modules: dict[str, Path] = {}
    for package in PACKAGES:
        top = ROOT / package
        for path in sorted(top.rglob("*.py")):
            if not _in_packages(path.parent, top):
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def _in_packages(folder: Path, top: Path) -> bool:
    """Whether `folder` and every folder between it and `top` hold an `__init__.py`."""
    while (folder / "__init__.py").is_file():
        if folder == top:
            return True
        folder = folder.parent
    return False


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imported_names(module: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The absolute names of what `module` (the file `path`) imports: a project submodule where
    `from package import name` names one, else the module the statement names."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if _is_package(path) else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    raise AssertionError(f"{path}:{node.lineno}: relative import beyond the top-level package")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if candidate in modules else base


def _project_module(name: str, modules: dict[str, Path]) -> str | None:
    """The project module `name` refers to: itself, else its longest prefix that is one (None
    outside the project)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = (_project_module(name, modules) for name in imported_names(module, path, modules))
        graph[module] = {target for target in targets if target is not None and target != module}
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(component)
    return components


def one_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A circle through the component's first module, as a path that ends where it starts."""
    start = min(component)
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:  # breadth first: the shortest way back to `start`
        node = queue.pop(0)
        for child in sorted(graph[node] & component):
            if child == start:
                return paths[node] + [start]
            if child not in paths:
                paths[child] = paths[node] + [child]
                queue.append(child)
    raise AssertionError(f"no circle in {sorted(component)}")


def test_the_import_graph_is_read_as_python_resolves_imports() -> None:
    graph = import_graph()
    assert {"bot.cli.bank", "bot.cli.common", "bot.cli.where"} <= graph["bot.cli"]  # `from .bank import bank`
    assert "bot.cli.common" in graph["bot.cli.bench"]
    assert "bot.bench.push" in graph["bot.cli.bench"]  # imported inside the command: still an import
    assert "bot.engine" in graph["bot.cli.common"]  # a package counts as its __init__
    assert "questions.importers" in graph["questions.importer"]


def test_circles_are_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"a", "e"}}
    assert strongly_connected(graph) == [{"a", "b", "c"}]
    assert one_cycle(graph, {"a", "b", "c"}) == ["a", "b", "c", "a"]


def test_no_import_circle_among_the_project_modules() -> None:
    graph = import_graph()
    components = strongly_connected(graph)
    circles = [
        " -> ".join(one_cycle(graph, component)) + f"  (modules in the circle: {', '.join(sorted(component))})"
        for component in components
    ]
    assert not circles, "import circle(s):\n" + "\n".join(circles)


def _forbidden(names: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(name for name in names if any(name == p or name.startswith(p + ".") for p in prefixes))


def test_the_engine_and_the_grader_import_nothing_from_telegram() -> None:
    modules = project_modules()
    problems = []
    for module, path in modules.items():
        if module == "bot.engine" or module.startswith("bot.engine."):
            forbidden: tuple[str, ...] = ("telegram", "bot.telegram")
        elif module == "grading" or module.startswith("grading."):
            forbidden = ("telegram", "bot")
        else:
            continue
        names = set(imported_names(module, path, modules))
        problems += [f"{module} imports {name}" for name in _forbidden(names, forbidden)]
    assert not problems, "\n".join(problems)
