"""The layout (issue 25): every documented import path works, no import circle inside the
package (lazy imports included, type-only ones under ``TYPE_CHECKING`` excluded), and
dependencies read top-down through the layers ``docs/architecture.md`` draws."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import korecampaign_async

PACKAGE = Path(korecampaign_async.__file__).parent

#: Import paths the README, the guides and the examples show, old and new (old ones are kept).
DOCUMENTED = [
    ("korecampaign_async", ["KoreCampaignClient", "JWTAuth", "RateLimit", "RedisRateLimit", "open_store", "sync"]),
    ("korecampaign_async.emulator", ["EmulatorConfig", "run_emulator", "campaign_id", "contact_list_id"]),
    ("korecampaign_async.dlt", ["kore_campaigns"]),
    ("korecampaign_async.models", ["CallerId", "CallingDay", "CallingHours", "DialingStrategy", "CampaignContact"]),
    ("korecampaign_async.write_models", ["ContactList", "ContactListSpec", "VoiceCampaignSpec"]),
    ("korecampaign_async.models.writes", ["ContactList", "ContactListSpec", "VoiceCampaignSpec"]),
    ("korecampaign_async.write_validation", ["check_voice_campaign"]),
    ("korecampaign_async.models.write_checks", ["check_voice_campaign"]),
    ("korecampaign_async.export", ["ExportResult", "export_to_file", "export_many", "open_sink", "Checkpoint"]),
    ("korecampaign_async.ratelimit", ["parse_windows", "RateLimit", "RedisRateLimit"]),
    ("korecampaign_async.cli_manage", ["read_contacts"]),
    ("korecampaign_async.cli.manage_command", ["read_contacts"]),
    ("korecampaign_async.cli", ["main", "help_pages", "EXIT_CODES"]),
    ("korecampaign_async.cli.settings", ["read_env_file"]),
    ("korecampaign_async.stores", ["Store", "open_store", "query"]),
    ("korecampaign_async.stores.schema", ["SCHEMA_VERSION"]),
    ("korecampaign_async.transport", ["RetryPolicy", "ClientStats", "Hooks", "Transport"]),
    ("korecampaign_async.paging", ["RecordStream"]),
]


@pytest.mark.parametrize(("module", "names"), DOCUMENTED, ids=[m for m, _ in DOCUMENTED])
def test_every_documented_import_path_works(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    missing = [name for name in names if not hasattr(imported, name)]
    assert not missing, f"{module} lacks {missing}"


def test_every_public_name_is_importable() -> None:
    for name in korecampaign_async.__all__:
        assert getattr(korecampaign_async, name) is not None, name


# -- the import graph ------------------------------------------------------------------------
def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    """Package modules ``module`` imports at run time, at the top or lazily in a function
    (``if TYPE_CHECKING:`` blocks excluded). Importing ``a.b.c`` also runs ``a.b``'s
    ``__init__``: those edges count too."""
    path = MODULES[module]
    is_package = path.name == "__init__.py"
    targets: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for stmt in child.orelse:
                    visit(stmt)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                if source.startswith("korecampaign_async"):
                    for alias in child.names:
                        sub = f"{source}.{alias.name}"
                        targets.add(sub if sub in MODULES else source)
            elif isinstance(child, ast.Import):
                targets.update(a.name for a in child.names if a.name.startswith("korecampaign_async"))
            visit(child)

    visit(ast.parse(path.read_text()))
    expanded: set[str] = set()
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in MODULES:
                expanded.add(name)
    expanded.discard(module)
    # a package's __init__ runs before its submodules: parents are not dependencies of a child
    return {t for t in expanded if not module.startswith(t + ".")}


GRAPH = {module: _imports(module) for module in MODULES}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle a depth-first walk of ``graph`` meets."""
    state: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                found.append([*stack[stack.index(target) :], target])
            elif target not in state:
                walk(target)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module)
    return found


def test_the_circle_finder_finds_circles() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert circles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_import_circle_inside_the_package() -> None:
    found = circles(GRAPH)
    assert not found, "\n".join(" -> ".join(c) for c in found)


#: The layers, bottom up (docs/architecture.md). A module may import its own layer's and
#: lower layers' modules, never a higher layer's.
LAYERS = [
    ["korecampaign_async.errors", "korecampaign_async._redact", "korecampaign_async._files"],
    ["korecampaign_async.models", "korecampaign_async.ratelimit"],
    ["korecampaign_async.transport"],
    ["korecampaign_async.paging"],
    ["korecampaign_async.client", "korecampaign_async.resources"],
    [
        "korecampaign_async.stores",
        "korecampaign_async.sync",
        "korecampaign_async.export",
        "korecampaign_async.dlt",
        "korecampaign_async.emulator",
    ],
    [
        "korecampaign_async.cli",
        "korecampaign_async.write_models",
        "korecampaign_async.write_validation",
        "korecampaign_async.cli_manage",
        "korecampaign_async.__main__",
    ],
]


def _layer(module: str) -> int:
    if module == "korecampaign_async":
        return len(LAYERS)  # the public API re-exports everything
    for rank, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and to docs/architecture.md")


def test_dependencies_read_top_down() -> None:
    upward = [
        f"{module} (layer {_layer(module)}) imports {target} (layer {_layer(target)})"
        for module, targets in GRAPH.items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert not upward, "\n".join(sorted(upward))


def test_the_architecture_page_names_every_package() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    packages = sorted({m.split(".")[1] for m in MODULES if m.count(".") >= 1 and not m.split(".")[1].startswith("_")})
    assert [p for p in packages if f"`{p}" not in page] == []
