"""The import graph, read with `ast`: who may import the Razorpay SDK, the simulator, the service.

String matching misses `import razorpay as rp`, `from razorpay.errors import X` and
`import razorpay.resources`; the parsed graph sees every form, aliases and submodules included.
"""

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Not the service: the virtualenv, the simulator (a stand-in for Razorpay, with its own
# contract tests through the SDK) and the benchmark harness (which drives everything from outside).
NOT_THE_SERVICE = {".venv", "razorpay_simulator", "bench", "node_modules", "__pycache__"}
ADAPTER = "payments_service/integrations/razorpay/"
SERVICE_PACKAGES = (
    "payments",
    "payments_service",
    "clients",
    "refunds",
    "disputes",
    "webhooks",
    "backoffice",
    "reliability",
    "conftest",
)


def python_files(root: Path, *, skip: set[str] = frozenset()):
    """Every .py file under `root`, pruning hidden directories and those named in `skip`."""
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            name for name in subdirectories if not name.startswith(".") and name not in skip
        )
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(directory) / name


def imported_modules(tree: ast.AST):
    """(line, module) for each absolute import in `tree`: `import a.b as c` gives "a.b",
    `from a.b import c` gives "a.b", and `__import__("a")` / `import_module("a")` give "a"."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = getattr(function, "attr", None) or getattr(function, "id", "")
            first = node.args[0]
            if (
                name in {"__import__", "import_module"}
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                yield node.lineno, first.value


def importers_of(root: Path, packages, *, skip: set[str] = frozenset()) -> dict[str, list[str]]:
    """{path relative to root: ["line N: module", ...]} for each file under `root` importing one
    of `packages` (a name or a tuple of names) or a submodule of one."""
    packages = (packages,) if isinstance(packages, str) else tuple(packages)
    found = {}
    for path in python_files(root, skip=skip):
        tree = ast.parse(path.read_bytes(), filename=str(path))
        hits = [
            f"line {line}: {module}"
            for line, module in imported_modules(tree)
            if any(module == package or module.startswith(package + ".") for package in packages)
        ]
        if hits:
            found[path.relative_to(root).as_posix()] = hits
    return found


# --- the collector bites ------------------------------------------------------------------------
def test_the_collector_finds_every_form_of_importing_the_sdk(tmp_path):
    (tmp_path / "app" / "deep").mkdir(parents=True)
    (tmp_path / "app" / "aliased.py").write_text("import razorpay as rp\n")
    (tmp_path / "app" / "submodule.py").write_text(
        "def f():\n    from razorpay.errors import BadRequestError\n"
    )
    (tmp_path / "app" / "deep" / "dotted.py").write_text("import os, razorpay.resources\n")
    (tmp_path / "app" / "dynamic.py").write_text(
        "import importlib\nsdk = importlib.import_module('razorpay')\n"
    )
    # Not the SDK: a look-alike package, our own relative `razorpay` package, a string.
    (tmp_path / "app" / "innocent.py").write_text(
        "import razorpay_simulator\nfrom razorpayx import y\nfrom .razorpay import gateway\n"
        "from . import razorpay\nNAME = 'import razorpay'\n"
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "site.py").write_text("import razorpay\n")
    (tmp_path / "vendored").mkdir()
    (tmp_path / "vendored" / "sdk.py").write_text("import razorpay\n")

    assert importers_of(tmp_path, "razorpay", skip={"vendored"}) == {
        "app/aliased.py": ["line 1: razorpay"],
        "app/submodule.py": ["line 2: razorpay.errors"],
        "app/deep/dotted.py": ["line 1: razorpay.resources"],
        "app/dynamic.py": ["line 2: razorpay"],
    }


# --- the guards ---------------------------------------------------------------------------------
def test_the_sdk_is_imported_only_by_the_gateway_adapter():
    importers = importers_of(ROOT, "razorpay", skip=NOT_THE_SERVICE)

    outside = {path: hits for path, hits in importers.items() if not path.startswith(ADAPTER)}
    assert outside == {}, "only the gateway adapter may import the Razorpay SDK"
    assert f"{ADAPTER}gateway.py" in importers  # the collector sees the one real importer


def test_the_simulator_never_imports_the_service():
    """The simulator stands in for Razorpay: it knows nothing of us, so it cannot flatter us."""
    simulator = ROOT / "razorpay_simulator"
    assert importers_of(simulator, (*SERVICE_PACKAGES, "django", "rest_framework")) == {}
    assert importers_of(simulator, "razorpay")  # its contract tests use the SDK: the walk is real


def test_only_tests_import_the_simulator():
    importers = importers_of(ROOT, "razorpay_simulator", skip=NOT_THE_SERVICE)

    product = {
        path: hits
        for path, hits in importers.items()
        if "tests" not in Path(path).parts and Path(path).name != "conftest.py"
    }
    assert product == {}, "the service must not depend on its test double"
    assert "conftest.py" in importers
