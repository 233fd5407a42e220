"""Print the lowest version every direct dependency of the project allows, as pip
constraints (``name==version``): CI installs the SDK at exactly these to prove that the
floors ``pyproject.toml`` declares are true (issue 23.10).

Usage: ``python .ci/floors.py EXTRA [EXTRA ...] > floors.txt`` then
``pip install -c floors.txt -e '.[EXTRA,...]'``. Every requirement must carry a ``>=``
floor (a bare name has no floor to test, so it is refused); markers are kept.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)\s*(;.*)?$")


def floors(extras: list[str]) -> list[str]:
    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        requirements += [r for r in optional[extra] if not r.startswith(project["name"])]
    out: dict[str, str] = {}
    for requirement in requirements:
        match = _REQ.match(requirement)
        if match is None:
            raise SystemExit(f"no '>=' floor to test in {requirement!r}")
        name, _, version, marker = match.groups()
        key = re.sub(r"[-_.]+", "-", name).lower()
        line = f"{key}=={version}" + (f" ;{marker[1:]}" if marker else "")
        if key in out and out[key] != line:
            raise SystemExit(f"{key}: two floors ({out[key]!r} and {line!r})")
        out[key] = line
    return sorted(out.values())


if __name__ == "__main__":
    print("\n".join(floors(sys.argv[1:])))
