"""The layout shows the architecture (docs/architecture.md): the model package imports nothing of
the machinery around it, and the code cites only documents that ship with orgsim."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"
LEAVES = ("sim.errors", "sim.datafiles")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names if node.module == "sim")
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {name for name in found if name == "sim" or name.startswith("sim.")}


def test_the_model_imports_nothing_of_the_machinery():
    offenders = {
        f"{path.relative_to(SIM.parent)}: {name}"
        for path in (SIM / "model").rglob("*.py")
        for name in _imports(path)
        if not (name.startswith("sim.model") or name in LEAVES)
    }
    assert not offenders, sorted(offenders)


def test_the_code_and_its_inputs_cite_no_document_outside_the_repository():
    outside = ("../shared", "MODEL.md", "MESA_NOTES", "SURVEY_V2")
    root = SIM.parent
    shipped = [
        *SIM.rglob("*.py"),
        *(
            path
            for folder in ("experiments", "populations", "scenarios", "docs", "benchmarks")
            for path in (root / folder).rglob("*")
            if path.suffix in {".toml", ".md", ".py"}
        ),
        root / "README.md",
    ]
    cited = [
        f"{path.relative_to(root)}:{k}"
        for path in shipped
        for k, line in enumerate(path.read_text().splitlines(), start=1)
        if any(word in line for word in outside)
    ]
    assert not cited, cited
