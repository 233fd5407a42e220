"""Docs that cannot rot: every Python block of the README and the documentation site runs
against the emulator (blocks marked ``<!-- docs-test: needs-credentials -->`` need a real
account and are only compiled), and the CLI reference is what ``--help`` prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from korecampaign_async.cli import help_pages

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
MARK = "<!-- docs-test: needs-credentials -->"
BLOCK = re.compile(r"(<!-- docs-test: [^>]*-->\n)?```python\n(.*?)```", re.S)


NOTEBOOK = "<!-- docs-test: notebook -->"
#: Runs a notebook cell as IPython does: top-level ``await`` / ``async with`` on a running loop.
CELL_RUNNER = """
import ast, asyncio, inspect, sys
source = sys.stdin.read()
code = compile(source, "cell", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
async def main():
    result = eval(code, {"__name__": "__main__"})
    if inspect.iscoroutine(result):
        await result
asyncio.run(main())
"""


def python_blocks() -> list[tuple[str, str, str]]:
    """(name, code, mark) of every Python block; mark is "" or the docs-test comment."""
    blocks = []
    for page in PAGES:
        for n, match in enumerate(BLOCK.finditer(page.read_text()), 1):
            blocks.append((f"{page.relative_to(ROOT)}#{n}", match.group(2), (match.group(1) or "").strip()))
    return blocks


BLOCKS = python_blocks()


def test_the_guides_have_runnable_examples() -> None:
    runnable = [name for name, _, mark in BLOCKS if mark != MARK]
    assert len(runnable) >= 4, runnable
    assert any(mark == NOTEBOOK for _, _, mark in BLOCKS)


@pytest.mark.parametrize(("name", "code", "mark"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_python_block_runs(name: str, code: str, mark: str, tmp_path: Path) -> None:
    assert mark in ("", MARK, NOTEBOOK), f"{name}: unknown mark {mark}"
    if mark == NOTEBOOK:
        with pytest.raises(SyntaxError):  # a cell, not a script: top-level await
            compile(code, name, "exec")
        command, stdin = [sys.executable, "-c", CELL_RUNNER], code
    else:
        compile(code, name, "exec")
        command, stdin = [sys.executable, "-c", code], None
    if mark == MARK:
        return
    result = subprocess.run(command, input=stdin, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert result.returncode == 0, f"{name} failed:\n{result.stderr[-3000:]}"
    assert result.stdout.strip(), f"{name} printed nothing"


@pytest.mark.parametrize("words", [[], ["export", "campaign-contacts"], ["check"], ["demo"]])
def test_cli_reference_is_what_help_prints(words: list[str]) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    printed = subprocess.run(
        [sys.executable, "-m", "korecampaign_async", *words, "--help"], capture_output=True, text=True, env=env
    ).stdout
    os.environ["COLUMNS"] = "100"
    try:
        pages = dict(help_pages())
    finally:
        del os.environ["COLUMNS"]
    assert pages[" ".join(["korecampaign", *words])].replace("korecampaign_async", "korecampaign") == printed.replace(
        "__main__.py", "korecampaign"
    )
