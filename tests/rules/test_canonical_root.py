"""How a rulebook's sources are named: a bundled rulebook by its source-tree folder, from any copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

from accountrules.rules.registry import bundled_rulebooks, canonical_root


def test_bundled_rulebook_is_named_by_its_source_folder() -> None:
    assert canonical_root(bundled_rulebooks()["shandong-supervision"]) == "rulebooks/shandong-supervision"
    assert canonical_root(bundled_rulebooks()["guizhou-bijie-default"]) == "rules"


def test_a_checkout_copy_is_named_like_the_bundled_one(tmp_path: Path) -> None:
    # the installed wheel holds the bundled copy; a checkout's rulebooks/shandong-supervision is the same rulebook
    copy = tmp_path / "checkout" / "rulebooks" / "shandong-supervision"
    shutil.copytree(bundled_rulebooks()["shandong-supervision"], copy)
    assert canonical_root(copy) == "rulebooks/shandong-supervision"


def test_an_edited_or_moved_copy_is_named_by_its_own_folder(tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "shandong-supervision"
    shutil.copytree(bundled_rulebooks()["shandong-supervision"], moved)
    assert canonical_root(moved) == "shandong-supervision"
    edited = tmp_path / "checkout" / "rulebooks" / "shandong-supervision"
    shutil.copytree(bundled_rulebooks()["shandong-supervision"], edited)
    manifest = edited / "rulebook.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("version:", "version: ", 1), encoding="utf-8")
    assert canonical_root(edited) == "shandong-supervision"
