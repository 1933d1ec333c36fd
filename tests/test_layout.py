"""The package stands in layers: no import cycle among sct's modules, and the runtime
(what generated code calls) imports nothing of the compiler."""
import ast
from pathlib import Path

SCT = Path(__file__).resolve().parents[1] / "sct"


def _module_name(path):
    parts = list(path.relative_to(SCT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """The sct modules `path` imports anywhere in it (function-level imports included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "sct")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "sct":
                continue
            for alias in node.names:  # `from . import runtime` imports a module
                candidate = f"{module}.{alias.name}"
                found.add(candidate if candidate in MODULES else module)
    return {m for m in found if m in MODULES and m != name}


MODULES = {_module_name(p): p for p in SCT.rglob("*.py")}
GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _cycle():
    """One import cycle as a list of module names, or None. A package's __init__ that only
    re-exports its own modules is not an edge back into the package."""
    state = {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(GRAPH[node]):
            if node.startswith(dep + ".") or dep == "sct":  # a module's own package, sct/__init__
                continue
            if state.get(dep) == "open":
                return stack[stack.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, stack)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for name in sorted(GRAPH):
        if name not in state:
            found = visit(name, [])
            if found:
                return found
    return None


def test_no_import_cycle():
    assert _cycle() is None, " -> ".join(_cycle())


def test_the_runtime_imports_nothing_of_the_compiler():
    for name in GRAPH:
        if name.startswith("sct.runtime"):
            outside = {m for m in GRAPH[name] if not m.startswith("sct.runtime") and m != "sct.errors"}
            assert not outside, f"{name} imports {sorted(outside)}"


def test_the_checker_sees_a_cycle():
    GRAPH["sct.errors"].add("sct.api")  # api imports errors: this closes a circle
    try:
        assert _cycle() is not None
    finally:
        GRAPH["sct.errors"].discard("sct.api")
