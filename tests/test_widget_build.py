"""The widget build (widget/build.py): budgets, determinism, committed outputs up to date.

When `test_committed_outputs_are_up_to_date` fails: run `python widget/build.py` and commit
server/static/widget/.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_build():
    spec = importlib.util.spec_from_file_location("widget_build", ROOT / "widget" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


build = _load_build()


@pytest.fixture(scope="module")
def fresh():
    return build.build()


def test_size_budgets_hold(fresh):
    summary = build.report(fresh)
    assert summary["loader"]["budget"] == 2048
    assert summary["total_budget"] == 12288
    assert summary["loader"]["gzip"] <= 2048, summary
    assert summary["total_gzip"] == summary["loader"]["gzip"] + summary["form"]["gzip"]
    assert summary["total_gzip"] <= 12288, summary
    assert build.over_budget(summary) == []


def test_an_oversized_build_is_reported():
    summary = {
        "loader": {"raw": 9000, "gzip": 3000, "budget": 2048},
        "form": {"raw": 40000, "gzip": 10000, "budget": None},
        "total_gzip": 13000,
        "total_budget": 12288,
    }
    assert len(build.over_budget(summary)) == 2


def test_the_build_is_deterministic(fresh, tmp_path):
    again = build.build()
    assert again.outputs() == fresh.outputs()
    # Nothing depends on where the sources are: a copy builds byte for byte the same.
    copy = tmp_path / "src"
    shutil.copytree(build.SRC, copy)
    assert build.build(copy).outputs() == fresh.outputs()


def test_committed_outputs_are_up_to_date(fresh):
    assert build.differences(fresh) == [], "run python widget/build.py and commit server/static/widget/"
    assert build.main(["--check"]) == 0


def test_a_changed_source_is_caught_by_check(fresh, tmp_path):
    copy = tmp_path / "src"
    shutil.copytree(build.SRC, copy)
    css = copy / "form.css"
    css.write_text(css.read_text() + "\n.es-new { color: red; }\n")
    changed = build.build(copy)
    assert changed.manifest["form"] != fresh.manifest["form"]
    problems = build.differences(changed)
    assert f"missing: {changed.manifest['form']}" in problems and "changed: manifest.json" in problems
    # Writing into another folder removes stale hashed files and leaves the rest alone.
    out = tmp_path / "out"
    out.mkdir()
    (out / "form.0123456789ab.js").write_text("old")
    (out / "keep.txt").write_text("not ours")
    build.write(changed, out)
    assert build.differences(changed, out) == []
    assert sorted(p.name for p in out.iterdir()) == sorted([*changed.outputs(), "keep.txt"])


def test_the_previous_build_stays_one_build_more(fresh, tmp_path):
    """A page holding the loader of the build before (5 minutes of cache) still gets its form."""
    generations = [fresh]
    for n in (1, 2):
        copy = tmp_path / f"src{n}"
        shutil.copytree(build.SRC, copy)
        css = copy / "form.css"
        css.write_text(css.read_text() + f"\n.es-gen{n} {{ color: red; }}\n")
        generations.append(build.build(copy))
    out = tmp_path / "out"
    first, second, third = generations

    def bundles(result):
        return sorted([result.manifest["form"], result.manifest["loader"]])


    build.write(first, out)
    assert json.loads((out / "manifest.json").read_text())["previous"] == []
    build.write(second, out)
    assert json.loads((out / "manifest.json").read_text())["previous"] == bundles(first)
    assert {p.name for p in out.glob("*.js")} == {*bundles(first), *bundles(second)}
    # Writing the same build again changes nothing, and --check agrees.
    build.write(second, out)
    assert json.loads((out / "manifest.json").read_text())["previous"] == bundles(first)
    assert build.differences(second, out) == []
    build.write(third, out)
    assert {p.name for p in out.glob("*.js")} == {*bundles(second), *bundles(third)}
    assert json.loads((out / "manifest.json").read_text())["previous"] == bundles(second)


def test_the_manifest_names_the_files_by_their_content():
    manifest = json.loads((build.OUT / "manifest.json").read_text())
    for part in ("loader", "form"):
        name = manifest[part]
        data = (build.OUT / name).read_bytes()
        assert re.fullmatch(rf"{part}\.[0-9a-f]{{12}}\.js", name)
        assert name == f"{part}.{hashlib.sha256(data).hexdigest()[:12]}.js"
        assert manifest["sizes"][part] == {"raw": len(data), "gzip": build.gzip_size(data)}
    loader = (build.OUT / manifest["loader"]).read_text()
    assert f'"/widget/v1/{manifest["form"]}"' in loader
    assert build.FORM_PATH_PLACEHOLDER not in loader


def test_the_bundles_call_no_third_party():
    """No font, script or request to anyone but the eSeller host the loader came from."""
    manifest = json.loads((build.OUT / "manifest.json").read_text())
    for part in ("loader", "form"):
        text = (build.OUT / manifest[part]).read_text()
        urls = set(re.findall(r"[a-z]+://[^\s\"'`)]+", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, urls  # the SVG namespace is a name, not a request
        assert "@import" not in text and "@font-face" not in text and "url(" not in text
