"""Agricultural entity rules (chalicelib.customers.domain.agri_entities): USCC incl. N-prefixed collectives and
the kind/USCC consistency. Pure."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.customers.domain.agri_entities import AgriEntityIn, validate
from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.uscc import organisation_code_check_char, uscc_check_char


def uscc(prefix: str, org8: str = "MA07X3K1", region: str = "220122") -> str:
    first17 = prefix + region + org8 + organisation_code_check_char(org8)
    return first17 + uscc_check_char(first17)


def entity(code: str, kind: str, **over) -> AgriEntityIn:
    doc = {"name": "二道沟村股份经济合作社", "uscc": code, "kind": kind, "village_code": "220122102202",
           "legal_representative": {"household_id": "h", "member_id": "m"},
           "operations": {"main_business": "玉米种植"}}
    doc.update(over)
    return AgriEntityIn.model_validate(doc)


@pytest.mark.parametrize("prefix,kind", [("N2", "village_collective"), ("N1", "village_collective"),
                                         ("93", "cooperative"), ("92", "family_farm"), ("91", "family_farm"),
                                         ("91", "company")])
def test_accepted_prefixes(prefix, kind):
    code = uscc(prefix)
    assert validate(entity(code.lower(), kind), today=date(2026, 11, 29)) == code


@pytest.mark.parametrize("prefix,kind", [("93", "company"), ("91", "cooperative"), ("N9", "village_collective"),
                                         ("92", "village_collective")])
def test_kind_mismatch(prefix, kind):
    with pytest.raises(ValidationFailed) as exc:
        validate(entity(uscc(prefix), kind), today=date(2026, 11, 29))
    assert [f.code for f in exc.value.fields] == ["USCC_KIND_MISMATCH"]


def test_bad_code_village_and_date_reported_together():
    bad = uscc("93")[:-1] + ("0" if uscc("93")[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        validate(entity(bad, "cooperative", village_code="220122999999", registered_on="2030-01-01"),
                 today=date(2026, 11, 29))
    assert sorted(f.code for f in exc.value.fields) == ["DATE_IN_FUTURE", "USCC_CHECK_CHAR", "VILLAGE_CODE_UNKNOWN"]
