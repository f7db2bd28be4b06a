"""The Lambda build (`make build`, docs/decisions/0005-lambda-build-and-packaging.md): what `sam build` left in
.aws-sam/build is what `sam deploy` ships. Checked offline, on the real build output:

- every wheel in the layers carries a tag the template's runtime loads, and every native library in them is
  for the runtime's CPU and needs no newer glibc than the runtime's;
- each function with its layers fits Lambda's quotas;
- the function code is the app's code and package data and nothing else, and every module it imports is in
  the code or its layers (also inside the packages installed without their dependencies);
- `sam package` (against a local S3, moto) uploads every artifact, and the packaged template – what
  `sam deploy` turns into a change set – transforms with the SAM translator and lints clean.

`make test` runs `make build` first; run it yourself before running these tests alone.
"""
from __future__ import annotations

import ast
import copy
import functools
import itertools
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.template import ROOT, load, resources_of
from tests.infra.test_template import _lint

BUILD = ROOT / ".aws-sam" / "build"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"

#: glibc of the operating system under each runtime. AWS Lambda Developer Guide, "Lambda runtimes": python3.8 to
#: python3.11 run on Amazon Linux 2 (glibc 2.26), python3.12 and later on Amazon Linux 2023 (glibc 2.34); the
#: same table aws-lambda-builders builds with (PythonPipDependencyBuilder._RUNTIME_GLIBC).
RUNTIME_GLIBC = {"python3.11": (2, 26), "python3.12": (2, 34), "python3.13": (2, 34)}
#: Wheel platform arch and ELF e_machine per Lambda architecture (EM_AARCH64 = 183, EM_X86_64 = 62: elf.h).
ARCH = {"arm64": ("aarch64", 183), "x86_64": ("x86_64", 62)}
#: The glibc of the legacy manylinux tags: PEP 513 (manylinux1), PEP 571 (manylinux2010), PEP 599 (manylinux2014).
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
#: Lambda Developer Guide, "Lambda quotas": deployment package (.zip) 250 MB unzipped including layers – the
#: service's message says 262144000 bytes – and at most five layers per function.
MAX_UNZIPPED_BYTES = 262_144_000
MAX_LAYERS = 5


# ------------------------------------------------------------------------------------------ reading the build
@pytest.fixture(scope="module")
def built() -> dict:
    path = BUILD / "template.yaml"
    if not path.exists():
        pytest.fail("no Lambda build in .aws-sam/build: run `make build` (make test does)")
    assert path.stat().st_mtime >= (ROOT / "template.yaml").stat().st_mtime, "the build is older than " \
        "template.yaml: run `make build`"
    template = load(path)
    assert set(template["Resources"]) == set(load()["Resources"]), "the build is not of template.yaml: run `make build`"
    return template


def _prop(template: dict, lid: str, name: str):
    props = template["Resources"][lid]["Properties"]
    return props[name] if name in props else template.get("Globals", {}).get("Function", {}).get(name)


def _layer_dirs(template: dict, lid: str) -> list[Path]:
    layers = _prop(template, lid, "Layers") or []
    assert all(isinstance(ref, dict) and set(ref) == {"Ref"} for ref in layers), f"{lid}: only the template's layers"
    return [(BUILD / template["Resources"][ref["Ref"]]["Properties"]["ContentUri"]).resolve() for ref in layers]


def _functions(template: dict) -> dict[str, tuple[Path, list[Path]]]:
    """Logical id -> (its code folder, its layers' folders), as `sam package` would zip them."""
    return {lid: ((BUILD / _prop(template, lid, "CodeUri")).resolve(), _layer_dirs(template, lid))
            for lid in resources_of(template, FUNCTION)}


def _target(template: dict) -> tuple[str, str]:
    """The one (runtime, architecture) of every function."""
    targets = {(_prop(template, lid, "Runtime"), tuple(_prop(template, lid, "Architectures") or ["x86_64"]))
               for lid in resources_of(template, FUNCTION)}
    assert len(targets) == 1, f"one runtime and architecture for all functions (the shared layer): {targets}"
    (runtime, archs), = targets
    assert len(archs) == 1 and runtime in RUNTIME_GLIBC, (runtime, archs)
    return runtime, archs[0]


@functools.cache
def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _layer_python_dirs(template: dict) -> list[Path]:
    dirs = [(BUILD / r["Properties"]["ContentUri"]).resolve() / "python" for r in resources_of(template, LAYER).values()]
    assert dirs and all(d.is_dir() for d in dirs), f"every layer has python/ (what Lambda puts on sys.path): {dirs}"
    return dirs


# ------------------------------------------------------------------------------------------ quotas
def test_each_function_with_its_layers_fits_lambdas_quotas(built):
    for lid, (code, layers) in _functions(built).items():
        assert code.is_dir() and all(d.is_dir() for d in layers), lid
        assert len(layers) <= MAX_LAYERS, lid
        total = _size(code) + sum(_size(d) for d in layers)
        assert total < MAX_UNZIPPED_BYTES, f"{lid}: {total / 2**20:.1f} MiB unzipped with its layers"


# ------------------------------------------------------------------------------------------ platform of the layers
def manylinux_glibc(platform: str, arch: str) -> tuple[int, int] | None:
    """The glibc a manylinux platform tag needs on ``arch`` (PEP 600 ``manylinux_X_Y``, legacy aliases), or None
    for any other platform (musllinux, macOS, another arch, ...)."""
    m = re.fullmatch(rf"manylinux_(\d+)_(\d+)_{arch}", platform)
    if m:
        return int(m.group(1)), int(m.group(2))
    m = re.fullmatch(rf"(manylinux1|manylinux2010|manylinux2014)_{arch}", platform)
    return LEGACY_MANYLINUX[m.group(1)] if m else None


def tag_loads(tag: str, *, python: tuple[int, int], arch: str, glibc: tuple[int, int]) -> bool:
    """Whether a wheel tag ``interpreter-abi-platform`` (PEP 425) installs on CPython ``python`` on a manylinux
    ``arch`` with ``glibc``: pure Python for Python 3 (``py3``, ``py3N``/``cp3N`` N <= minor), the interpreter's
    own ABI (``cp311-cp311``) or the stable ABI of an earlier or equal CPython 3 (``cp3N-abi3``, PEP 384)."""
    interpreter, abi, platform = tag.split("-")
    major, minor = python
    m = re.fullmatch(r"(py|cp)(\d)(\d*)", interpreter)
    if not m or int(m.group(2)) != major or (m.group(3) and int(m.group(3)) > minor):
        return False
    if platform != "any":
        needed = manylinux_glibc(platform, arch)
        if needed is None or needed > glibc:
            return False
    if abi == "none":
        return m.group(1) == "py" or m.group(3) == str(minor)
    if abi == "abi3":
        return m.group(1) == "cp" and platform != "any"
    return abi == f"cp{major}{minor}" and interpreter == abi and platform != "any"


def test_the_wheel_tag_rule():
    py311 = {"python": (3, 11), "arch": "aarch64", "glibc": (2, 26)}
    for ok in ("py3-none-any", "py311-none-any", "cp311-none-any", "cp311-cp311-manylinux2014_aarch64",
               "cp311-cp311-manylinux_2_17_aarch64", "cp311-cp311-manylinux_2_26_aarch64", "cp38-abi3-manylinux2014_aarch64",
               "cp311-abi3-manylinux_2_24_aarch64", "py3-none-manylinux_2_17_aarch64"):
        assert tag_loads(ok, **py311), ok
    for refused in ("cp311-cp311-manylinux_2_28_aarch64",     # glibc 2.28 > 2.26 (pillow 13, zen-engine >= 0.18)
                    "cp38-abi3-manylinux_2_28_aarch64", "cp311-cp311-manylinux2014_x86_64", "cp311-cp311-linux_aarch64",
                    "cp311-cp311-musllinux_1_2_aarch64", "cp310-cp310-manylinux2014_aarch64", "cp312-abi3-manylinux2014_aarch64",
                    "cp312-cp312-manylinux2014_aarch64", "py2-none-any", "pp311-pypy311_pp73-manylinux2014_aarch64",
                    "cp311-cp311-macosx_11_0_arm64"):
        assert not tag_loads(refused, **py311), refused


def _wheel_tags(dist_info: Path) -> list[str]:
    """The tags of the ``Tag:`` lines of a wheel's WHEEL file, compressed tag sets (``a.b-c-d.e``, PEP 425;
    maturin writes them so) expanded."""
    lines = (dist_info / "WHEEL").read_text(encoding="utf-8").splitlines()
    tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    return [f"{i}-{a}-{p}" for tag in tags for i, a, p in itertools.product(*(part.split(".") for part in tag.split("-")))]


def test_compressed_tag_sets_are_expanded(tmp_path):
    (tmp_path / "WHEEL").write_text("Wheel-Version: 1.0\nGenerator: maturin (0.14.17)\nRoot-Is-Purelib: false\n"
                                    "Tag: cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64\n"
                                    "Tag: py2.py3-none-any\n", encoding="utf-8")
    assert _wheel_tags(tmp_path) == ["cp311-cp311-manylinux_2_17_aarch64", "cp311-cp311-manylinux2014_aarch64",
                                     "py2-none-any", "py3-none-any"]


def test_every_wheel_in_the_layers_has_a_tag_the_runtime_loads(built):
    """A wheel installs where any one of its tags does (PEP 425 compressed tag sets: ``manylinux_2_17_aarch64.
    manylinux2014_aarch64.manylinux_2_28_aarch64`` is one binary valid on all three)."""
    runtime, architecture = _target(built)
    target = {"python": (3, int(runtime.removeprefix("python3."))), "arch": ARCH[architecture][0],
              "glibc": RUNTIME_GLIBC[runtime]}
    dists = [d for layer in _layer_python_dirs(built) for d in layer.glob("*.dist-info")]
    assert len(dists) > 10, "the layer holds the runtime dependencies"
    tags = {d.name: _wheel_tags(d) for d in dists}
    refused = {name: t for name, t in tags.items() if not any(tag_loads(tag, **target) for tag in t)}
    assert not refused, f"wheels {runtime} on {architecture} cannot load: {refused}"


def elf_target(path: Path) -> tuple[int, tuple[int, int] | None] | None:
    """(ELF e_machine, newest GLIBC_x.y symbol version named in the file) of a 64-bit little-endian ELF
    file, or None if ``path`` is not one. The version names are the strings of ``.gnu.version_r`` (the versions
    the library needs) and, for glibc itself, of ``.gnu.version_d``."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return None
    assert data[4] == 2 and data[5] == 1, f"{path}: not a 64-bit little-endian ELF file"
    machine = int.from_bytes(data[18:20], "little")
    versions = {(int(a), int(b)) for a, b in re.findall(rb"GLIBC_(\d+)\.(\d+)", data)}
    return machine, max(versions) if versions else None


def test_the_elf_check_reads_real_libraries():
    # this machine's own C library: x86-64, and it defines every GLIBC version up to its own (above 2.26)
    libc = next(p for p in (Path("/lib/x86_64-linux-gnu/libc.so.6"), Path("/lib64/libc.so.6")) if p.exists())
    machine, glibc = elf_target(libc)
    assert machine == 62 and glibc > (2, 26)
    assert elf_target(ROOT / "pyproject.toml") is None


def test_every_native_library_in_the_layers_is_for_the_runtimes_cpu_and_glibc(built):
    runtime, architecture = _target(built)
    machine, glibc = ARCH[architecture][1], RUNTIME_GLIBC[runtime]
    libraries = {p: elf_target(p) for layer in _layer_python_dirs(built) for p in layer.rglob("*")
                 if p.is_file() and (p.suffix == ".so" or ".so." in p.name)}
    assert libraries, "the layer has native extensions (pydantic-core, cryptography, zen-engine, pillow)"
    wrong = {str(p): t for p, t in libraries.items() if t is None or t[0] != machine or (t[1] or (0, 0)) > glibc}
    assert not wrong, f"not {architecture} or needing glibc > {glibc}: {wrong}"


# ------------------------------------------------------------------------------------------ the function code
def test_the_function_code_is_the_apps_code_and_package_data_only(built):
    tracked = set(subprocess.run(["git", "ls-files", "app.py", "chalicelib", "functions"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.split())
    assert "chalicelib/reference/parameters/approval_rules.json" in tracked
    working = {p.relative_to(ROOT).as_posix() for top in ("app.py", "chalicelib", "functions")
               for p in ([ROOT / top] if (ROOT / top).is_file() else (ROOT / top).rglob("*"))
               if p.is_file() and "__pycache__" not in p.parts}
    for lid, (code, _) in _functions(built).items():
        files = {p.relative_to(code).as_posix() for p in code.rglob("*") if p.is_file()}
        assert {f.split("/")[0] for f in files} == {"app.py", "chalicelib", "functions"}, lid
        assert tracked <= files, f"{lid} lacks {sorted(tracked - files)[:5]}"
        assert files <= working, f"{lid} has files the sources no longer have: {sorted(files - working)[:5]}"
        module = _prop(built, lid, "Handler").rsplit(".", 1)[0]
        assert (code / f"{module}.py").is_file(), f"{lid}: no {module}.py in its code"


def _guarded(tree: ast.AST) -> set[int]:
    """ids of the import nodes that do not run or may fail: under ``if TYPE_CHECKING:`` (for type checkers only)
    and inside ``try:`` blocks that handle ImportError (optional imports)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom))}
        if isinstance(node, ast.Try) and any(  # not `except Exception`: that is a missing module made a wrong answer
                h.type is not None and any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError")
                                           for n in ast.walk(h.type)) for h in node.handlers):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom))}
    return out


def imported_modules(source: Path, module: str) -> set[str]:
    """Absolute names of the modules ``source`` (module ``module``) imports anywhere in its body – lazy imports in
    functions included, optional imports (guarded by ``except ImportError``) not; ``from a import b`` gives
    ``a`` and ``a.b`` (``b`` may be a submodule)."""
    package = module if source.name == "__init__.py" else module.rpartition(".")[0]
    return _imports(source.read_text(encoding="utf-8"), package)


@functools.cache
def _imports(text: str, package: str) -> frozenset[str]:  # cached: every function has the same copy of the code
    tree = ast.parse(text)
    guarded = _guarded(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names if a.name != "*"}
    return frozenset(out)


def _module_file(roots: list[Path], name: str) -> Path | None:
    for root in roots:
        base = root.joinpath(*name.split("."))
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return candidate
    return None


def _provides(roots: list[Path], top: str) -> bool:
    return any((r / top).is_dir() or (r / f"{top}.py").is_file() or any(r.glob(f"{top}.*so")) for r in roots)


def _code_modules(code: Path) -> dict[str, Path]:
    return {".".join(p.relative_to(code).with_suffix("").parts).removesuffix(".__init__"): p for p in code.rglob("*.py")}


def test_every_module_the_functions_import_is_in_their_code_or_layers(built):
    for lid, (code, layers) in _functions(built).items():
        roots = [code] + [d / "python" for d in layers]
        imported = {n for m, p in _code_modules(code).items() for n in imported_modules(p, m)}
        missing = {n for n in imported
                   if (top := n.split(".")[0]) not in sys.stdlib_module_names and not _provides(roots, top)}
        assert not missing, f"{lid} imports what neither its code nor its layers have: {sorted(missing)}"


def _no_deps_packages() -> list[str]:
    lines = (ROOT / "layers" / "dependencies" / "requirements-no-deps.txt").read_text(encoding="utf-8").splitlines()
    return [re.split(r"[\s\[;=<>]", line.strip())[0] for line in lines if line.strip() and not line.startswith("#")]


def _top_level_names(layer: Path, dist: str) -> set[str]:
    (info,) = [d for d in layer.glob("*.dist-info") if d.name.split("-")[0].lower() == dist.lower().replace("-", "_")]
    paths = [line.split(",")[0] for line in (info / "RECORD").read_text(encoding="utf-8").splitlines()]
    return {p.split("/")[0].removesuffix(".py") for p in paths
            if p and not p.split("/")[0].endswith((".dist-info", ".data")) and not p.startswith(("..", "bin/"))}


def test_packages_installed_without_their_dependencies_import_only_what_the_layer_has(built):
    """chalice is installed --no-deps (its declared dependencies serve its CLI): the modules of it the functions
    reach, followed import by import, must import only the standard library and what the layer has."""
    code, _ = next(iter(_functions(built).values()))
    (layer,) = _layer_python_dirs(built)
    roots = [code, layer]
    imported = {n for m, p in _code_modules(code).items() for n in imported_modules(p, m)}
    packages = _no_deps_packages()
    assert packages == ["chalice"]
    for dist in packages:
        tops = _top_level_names(layer, dist)
        todo = {n for n in imported if n.split(".")[0] in tops}
        assert todo, f"the functions import nothing of {dist}: install it with its dependencies or drop it"
        seen: set[str] = set()
        missing: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            parts = name.split(".")  # importing a.b.c runs a/__init__ and a/b/__init__ too
            todo |= {".".join(parts[:i]) for i in range(1, len(parts))} - seen
            path = _module_file([layer], name)
            if path is None:
                continue  # a name imported from a module, not a submodule
            for n in imported_modules(path, name):
                top = n.split(".")[0]
                if top in tops:
                    if n not in seen:
                        todo.add(n)
                elif top not in sys.stdlib_module_names and not _provides(roots, top):
                    missing.add(f"{name} -> {n}")
        assert len(seen) >= 2 and not missing, f"{dist}: {sorted(missing)}"


# ------------------------------------------------------------------------------------------ sam package
@pytest.fixture()
def local_s3():
    from moto.server import ThreadedMotoServer

    from infra.local.server import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def test_sam_package_uploads_every_artifact_and_the_packaged_template_transforms_and_lints(built, local_s3,
                                                                                         tmp_path):
    import boto3
    from samtranslator.translator.transform import transform

    if not SAM.exists():
        pytest.fail("no aws-sam-cli in .venv-sam: run `make build` (make test does)")
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    s3 = boto3.client("s3", endpoint_url=local_s3, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket="village-credit-artifacts")
    packaged = tmp_path / "packaged.yaml"
    result = subprocess.run(
        [str(SAM), "package", "--template-file", str(BUILD / "template.yaml"), "--s3-bucket", "village-credit-artifacts",
         "--s3-prefix", "staging", "--output-template-file", str(packaged), "--no-progressbar"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, **creds, "AWS_ENDPOINT_URL": local_s3, "SAM_CLI_TELEMETRY": "0"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    template = load(packaged)
    uris = {lid: r["Properties"].get("CodeUri") or r["Properties"].get("ContentUri")
            for lid, r in resources_of(template, FUNCTION, LAYER).items()}
    keys = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket="village-credit-artifacts")["Contents"]}
    for lid, uri in uris.items():
        assert isinstance(uri, str) and uri.startswith("s3://village-credit-artifacts/staging/"), (lid, uri)
        assert uri.split("/", 3)[3] in keys, f"{lid}: {uri} was not uploaded"
    for lid, machine in resources_of(template, "AWS::Serverless::StateMachine").items():
        location = machine["Properties"]["DefinitionUri"]
        assert location["Bucket"] == "village-credit-artifacts" and location["Key"] in keys, lid
    # the layer's zip is the built folder: python/ at its root, every file of it
    layer_key = uris["DependenciesLayer"].split("/", 3)[3]
    archive = tmp_path / "layer.zip"
    s3.download_file("village-credit-artifacts", layer_key, str(archive))
    with zipfile.ZipFile(archive) as z:
        names = {i.filename for i in z.infolist() if not i.is_dir()}
    layer_dir = (BUILD / built["Resources"]["DependenciesLayer"]["Properties"]["ContentUri"]).resolve()
    assert names == {p.relative_to(layer_dir).as_posix() for p in layer_dir.rglob("*") if p.is_file()}

    # what CloudFormation does to the uploaded template on CreateChangeSet: the SAM transform, then validation
    class NoManagedPolicies:
        def load(self):
            return {}

    translated = transform(copy.deepcopy(template), {}, NoManagedPolicies())
    assert "AWS::Serverless::Function" not in {r["Type"] for r in translated["Resources"].values()}
    assert set(translated["Outputs"]) == set(load()["Outputs"])
    out = tmp_path / "translated.json"
    out.write_text(json.dumps(translated))
    lint = _lint(out)
    assert lint.returncode == 0, lint.stdout + lint.stderr

