"""The contract's sample feeds (ADF documents, a portal e-mail), copied into tests/samples/ so that
the suite runs anywhere; `test_adf.py` checks the copies against the originals when they are near."""

from __future__ import annotations

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
NAMES = sorted(path.name for path in SAMPLES_DIR.iterdir() if path.is_file())


def sample(name: str) -> bytes:
    return (SAMPLES_DIR / name).read_bytes()


def sample_text(name: str) -> str:
    return sample(name).decode("utf-8")
