"""Editions and the features they carry (PRODUCT.md), in one table.

A group subscribes to editions (LM1, LM2, SD) and options (DMS, REF). A feature is available when
one of the group's editions carries it; "opt" features on LM1 need the DMS option as well.
"""

from __future__ import annotations

EDITIONS = ("LM1", "LM2", "SD")
OPTIONS = ("DMS", "REF")

# feature id -> (editions carrying it, editions carrying it only with the DMS option)
FEATURES: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def _feature(fid: str, editions: str, with_dms: str = "") -> None:
    FEATURES[fid] = (frozenset(editions.split()), frozenset(with_dms.split()))


for _fid in ("CC1", "CC2"):
    _feature(_fid, "LM1")
for _fid in ("CE1", "CE2", "CE3", "CE4", "CE5", "CE6", "CE7", "CE8", "CE9"):
    _feature(_fid, "LM2")
for _fid in ("SM1", "SM3", "SM5", "SM6", "SM7", "SM8"):
    _feature(_fid, "LM1 LM2")
for _fid in ("SM2", "SM4"):
    _feature(_fid, "LM2", with_dms="LM1")
for _fid in ("SD1", "SD2", "SD3", "SD4", "SD5", "SD6", "SD7", "MG5", "MG6"):
    _feature(_fid, "SD")
for _fid in ("MG1", "MG4"):
    _feature(_fid, "LM1 LM2 SD")
for _fid in ("MG2", "MG3"):
    _feature(_fid, "LM1 LM2")
_feature("OP1", "", with_dms="")  # reference data: the REF option alone decides, see below


def group_has_feature(editions: list[str] | set[str], fid: str) -> bool:
    subscribed = set(editions)
    if fid == "OP1":
        return "REF" in subscribed
    carried, with_dms = FEATURES[fid]
    if subscribed & carried:
        return True
    return bool(subscribed & with_dms) and "DMS" in subscribed


def features_of(editions: list[str] | set[str]) -> set[str]:
    return {fid for fid in FEATURES if group_has_feature(editions, fid)}
