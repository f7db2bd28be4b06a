"""What import-linter cannot see (its contracts are in pyproject.toml, run by `make lint`): small pieces (no module
of chalicelib over 400 lines, no function over 60) and domain code that reads no file and no environment. The
lists below are what breaks a rule today, each with who removes it (issue 12: Phase B per context, Phase C the
lead); they only ever shrink, and an entry that no longer breaks its rule fails the test too."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHALICELIB = ROOT / "chalicelib"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

#: modules over MAX_MODULE_LINES today → who splits them
LARGE_MODULES = {
}
#: functions over MAX_FUNCTION_LINES today → who splits them
LONG_FUNCTIONS = {
}
#: what domain code must not touch: files and the environment (import-linter forbids the AWS SDK, pynamodb and
#: chalice). In-memory buffers (io.BytesIO for a roster's bytes or a PDF being rendered) are no file.
FORBIDDEN_IMPORTS = {"os", "pathlib", "importlib", "importlib.resources", "shutil", "tempfile", "glob"}
FORBIDDEN_CALLS = {"open", "getenv"}


def _modules() -> dict[str, ast.Module]:
    return {p.relative_to(CHALICELIB).as_posix(): ast.parse(p.read_text(encoding="utf-8"))
            for p in sorted(CHALICELIB.rglob("*.py"))}


def test_no_module_over_400_lines_but_the_listed_ones():
    sizes = {name: len((CHALICELIB / name).read_text(encoding="utf-8").splitlines()) for name in _modules()}
    large = {name for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert large == set(LARGE_MODULES), {"new": sorted(large - set(LARGE_MODULES)),
                                         "small now, remove from the list": sorted(set(LARGE_MODULES) - large)}


def test_no_function_over_60_lines_but_the_listed_ones():
    long = set()
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None and \
                    node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                long.add(f"{name}:{node.name}")
    assert long == set(LONG_FUNCTIONS), {"new": sorted(long - set(LONG_FUNCTIONS)),
                                         "short now, remove from the list": sorted(set(LONG_FUNCTIONS) - long)}


def test_domain_code_reads_no_file_and_no_environment():
    """Domain modules (chalicelib/<context>/domain/) import nothing that reaches files or the environment and call
    no ``open``: shipped reference tables are read by chalicelib.reference's loaders, which domain code may call
    (docs/decisions/0006-bounded-contexts-and-pynamodb.md), and parameter defaults come from the parameter loader."""
    found = []
    for name, tree in _modules().items():
        if "/domain/" not in f"/{name}":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [f"{name}: import {a.name}" for a in node.names if a.name in FORBIDDEN_IMPORTS]
            elif isinstance(node, ast.ImportFrom) and node.module in FORBIDDEN_IMPORTS:
                found.append(f"{name}: from {node.module} import ...")
            elif isinstance(node, ast.Call):
                target = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if target in FORBIDDEN_CALLS:
                    found.append(f"{name}:{node.lineno}: {target}()")
            elif isinstance(node, ast.Attribute) and node.attr == "environ":
                found.append(f"{name}:{node.lineno}: environ")
    assert found == []


def test_the_checks_bite():
    """The walks above find what they look for (a module, a function, a domain module that opens a file)."""
    sample = ast.parse("import os\n\ndef f():\n" + "    x = 1\n" * 70 + "    return open('x')\n")
    fn = next(n for n in ast.walk(sample) if isinstance(n, ast.FunctionDef))
    assert fn.end_lineno is not None and fn.end_lineno - fn.lineno + 1 > MAX_FUNCTION_LINES
    assert any(isinstance(n, ast.Import) and n.names[0].name in FORBIDDEN_IMPORTS for n in ast.walk(sample))
    assert any(isinstance(n, ast.Call) and getattr(n.func, "id", None) in FORBIDDEN_CALLS for n in ast.walk(sample))
