#!/usr/bin/env python3
"""Build the widget: widget/src -> content-hashed bundles + manifest in server/static/widget/.

    python widget/build.py            build and write (the previous build's bundles stay, older ones go)
    python widget/build.py --report   build, write, print the size report; exit 1 over budget
    python widget/build.py --check    exit 1 if the committed files differ from a fresh build

The form bundle is FORM_PARTS, in order, in one function scope, with CSS_PARTS minified into
a `CSS` string. The loader gets the form bundle's hashed path written in. Each output is
named by its content (`form.<sha256[:12]>.js`), so it can be cached for a year; only
/widget/v1/loader.js (the name dealer pages use) is cached briefly. The same sources always give
byte-identical outputs (rjsmin/rcssmin only strip, and gzip sizes use a fixed mtime).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

try:
    import rcssmin
    import rjsmin
except ImportError:  # run with a Python that lacks the project's dependencies: use the project's own
    venv_python = ROOT / ".venv" / "bin" / "python"
    if venv_python.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])  # noqa: S606 - our own script
    raise SystemExit("widget/build.py needs rjsmin and rcssmin: pip install -e . (or scripts/bootstrap)") from None
SRC = ROOT / "widget" / "src"
OUT = ROOT / "server" / "static" / "widget"
URL_PATH = "/widget/v1/"
FORM_PARTS = ("texts.js", "dom.js", "send.js", "form.js", "main.js")
CSS_PARTS = ("form.css", "panels.css")
FORM_PATH_PLACEHOLDER = "__ESELLER_FORM_PATH__"
BUDGETS = {"loader": 2048, "form": None, "total": 12288}  # gzipped bytes


@dataclass
class Build:
    files: dict[str, bytes] = field(default_factory=dict)  # output name -> content
    manifest: dict = field(default_factory=dict)

    def outputs(self) -> dict[str, bytes]:
        manifest = json.dumps(self.manifest, indent=2, sort_keys=True) + "\n"
        return {**self.files, "manifest.json": manifest.encode()}


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def hashed_name(stem: str, data: bytes) -> str:
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}.js"


def form_bundle(src: Path = SRC) -> bytes:
    css = rcssmin.cssmin("\n".join((src / name).read_text(encoding="utf-8") for name in CSS_PARTS))
    parts = [(src / name).read_text(encoding="utf-8") for name in FORM_PARTS]
    source = "\n".join(
        ['(() => {\n"use strict";', f"const CSS = {json.dumps(css, ensure_ascii=False)};", *parts, "})();"]
    )
    return (rjsmin.jsmin(source).strip() + "\n").encode()


def loader_bundle(form_name: str, src: Path = SRC) -> bytes:
    source = (src / "loader.js").read_text(encoding="utf-8")
    if FORM_PATH_PLACEHOLDER not in source:
        raise SystemExit(f"loader.js lost its {FORM_PATH_PLACEHOLDER} placeholder")
    source = source.replace(FORM_PATH_PLACEHOLDER, URL_PATH + form_name)
    return (rjsmin.jsmin(source).strip() + "\n").encode()


def build(src: Path = SRC) -> Build:
    form = form_bundle(src)
    form_name = hashed_name("form", form)
    loader = loader_bundle(form_name, src)
    loader_name = hashed_name("loader", loader)
    manifest = {
        "loader": loader_name,
        "form": form_name,
        "sizes": {
            "loader": {"raw": len(loader), "gzip": gzip_size(loader)},
            "form": {"raw": len(form), "gzip": gzip_size(form)},
        },
    }
    return Build(files={loader_name: loader, form_name: form}, manifest=manifest)


def report(result: Build) -> dict:
    sizes = result.manifest["sizes"]
    return {
        "loader": {**sizes["loader"], "budget": BUDGETS["loader"]},
        "form": {**sizes["form"], "budget": BUDGETS["form"]},
        "total_gzip": sizes["loader"]["gzip"] + sizes["form"]["gzip"],
        "total_budget": BUDGETS["total"],
    }


def over_budget(summary: dict) -> list[str]:
    problems = []
    for name in ("loader", "form"):
        budget = summary[name]["budget"]
        if budget is not None and summary[name]["gzip"] > budget:
            problems.append(f"{name}: {summary[name]['gzip']} bytes gzipped, budget {budget}")
    if summary["total_gzip"] > summary["total_budget"]:
        problems.append(f"loader + form: {summary['total_gzip']} bytes gzipped, budget {summary['total_budget']}")
    return problems


def is_build_output(path: Path) -> bool:
    return path.name == "manifest.json" or (path.suffix == ".js" and path.name.split(".")[0] in ("loader", "form"))


def carried_over(result: Build, out: Path = OUT) -> list[str]:
    """The bundles of the build before `result` in `out`, kept for one more build.

    A dealer's page may hold the previous loader for its 5 minutes of cache, and during a rolling
    deployment a server not yet updated still hands it out: the form it names must still load.
    """
    try:
        old = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if (old.get("loader"), old.get("form")) == (result.manifest["loader"], result.manifest["form"]):
        names = old.get("previous", [])  # the same build again: the same previous one
    else:
        names = [old.get("loader"), old.get("form")]
    return sorted(name for name in names if isinstance(name, str) and is_build_output(out / name)
                  and name != "manifest.json" and (out / name).is_file())


def with_previous(result: Build, out: Path = OUT) -> Build:
    """`result` with the previous build's bundles named in its manifest (see `carried_over`)."""
    return Build(files=dict(result.files), manifest={**result.manifest, "previous": carried_over(result, out)})


def differences(result: Build, out: Path = OUT) -> list[str]:
    """What differs between `out` and a fresh build: missing, changed or stale files."""
    result = with_previous(result, out)
    expected = result.outputs()
    found = {path.name for path in out.glob("*") if is_build_output(path)} if out.is_dir() else set()
    problems = [f"stale: {name}" for name in sorted(found - expected.keys() - set(result.manifest["previous"]))]
    for name, content in sorted(expected.items()):
        path = out / name
        if not path.exists():
            problems.append(f"missing: {name}")
        elif path.read_bytes() != content:
            problems.append(f"changed: {name}")
    return problems


def write(result: Build, out: Path = OUT) -> None:
    """Write `result` into `out`, keep the previous build's bundles, remove older ones."""
    out.mkdir(parents=True, exist_ok=True)
    result = with_previous(result, out)
    expected = result.outputs()
    for name, content in expected.items():
        path = out / name
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
    keep = expected.keys() | set(result.manifest["previous"])
    for path in out.glob("*"):
        if is_build_output(path) and path.name not in keep:
            path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--report", action="store_true", help="print the size report; exit 1 over budget")
    mode.add_argument("--check", action="store_true", help="exit 1 if the built files are not up to date")
    args = parser.parse_args(argv)
    result = build()
    if args.check:
        problems = differences(result)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("widget build out of date: run python widget/build.py", file=sys.stderr)
        return 1 if problems else 0
    write(result)
    summary = report(result)
    if args.report:
        print(json.dumps(summary, indent=2))
    problems = over_budget(summary)
    for problem in problems:
        print(f"over budget: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
