"""The README's promises: its commands match CI, and its emulator example runs."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def code_blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_first_two_commands_are_demo_and_tests() -> None:
    first, second = code_blocks("bash")[:2]
    assert "korecampaign demo" in first
    assert "pytest" in second
    ci = (ROOT / ".ci" / "run").read_text()
    assert second.strip() in ci  # CI runs exactly the README's test command


def test_emulator_example_runs() -> None:
    example = next(block for block in code_blocks("python") if "run_emulator" in block)
    result = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "5000 rows" in result.stdout
