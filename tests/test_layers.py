"""The layering is checked mechanically: import-linter contracts, and the core importing
neither Textual nor scikit-learn."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is part of the dev extra"
    res = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_core_and_cli_start_without_textual_or_sklearn():
    code = ("import sys, kolvet, kolvet.pipeline, kolvet.cli; "
            "print([m for m in ('textual', 'sklearn') if m in sys.modules])")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.stdout.strip() == "[]", res.stdout + res.stderr


def test_ruff_is_clean():
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert exe, "ruff is part of the dev extra"
    res = subprocess.run([exe, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_package_folder_is_a_package():
    # setuptools only ships folders with an __init__.py: a missing one works in a checkout and
    # breaks `pip install .` (the browser's screens were missing once).
    for folder in (ROOT / "kolvet").rglob("*"):
        if folder.is_dir() and folder.name != "__pycache__" and any(folder.glob("*.py")):
            assert (folder / "__init__.py").exists(), folder
