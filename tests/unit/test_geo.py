"""GeoPoint: the one location type of the API (chalicelib.platform.geo)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.platform.geo import GeoPoint


def _errors(data) -> set[tuple[str, str]]:
    with pytest.raises(ValidationError) as exc:
        GeoPoint.model_validate(data)
    return {(".".join(map(str, e["loc"])), e["type"]) for e in exc.value.errors()}


@pytest.mark.parametrize("lat,lon", [(90, 180), (-90, -180), (0, 0), (44.6123456, 124.9312345),
                                     (Decimal("44.61234560000"), Decimal("-0.0000001"))])
def test_points_in_range_with_at_most_seven_decimals_are_kept_exactly(lat, lon):
    p = GeoPoint.model_validate({"lat": lat, "lon": lon})
    assert p.lat == Decimal(str(lat)) and p.lon == Decimal(str(lon))
    assert isinstance(p.lat, Decimal)


@pytest.mark.parametrize("lat,code", [
    (90.0000001, "less_than_equal"), (-90.5, "greater_than_equal"), (1e300, "less_than_equal"),
    (44.12345678, "coordinate_precision"), (1e-8, "coordinate_precision"),
    (1e-131, "coordinate_precision"), (-1.96e-276, "coordinate_precision"),  # below DynamoDB's 1E-130
    ("44.6", "coordinate_not_number"), (True, "coordinate_not_number"), (None, "coordinate_not_number"),
    (float("nan"), "coordinate_not_number"), (float("inf"), "coordinate_not_number"),
    (Decimal("NaN"), "coordinate_not_number"), ([44.6], "coordinate_not_number"),
])
def test_a_latitude_outside_the_rules_is_refused_with_its_reason(lat, code):
    assert _errors({"lat": lat, "lon": 124.9}) == {("lat", code)}


def test_longitude_range_accuracy_and_unknown_keys():
    assert _errors({"lat": 44, "lon": 180.0000001}) == {("lon", "less_than_equal")}
    assert _errors({"lat": 44, "lng": 124.9}) == {("lon", "missing"), ("lng", "extra_forbidden")}
    assert _errors({"lat": 44, "lon": 124, "accuracy_m": 4.25}) == {("accuracy_m", "coordinate_precision")}
    assert _errors({"lat": 44, "lon": 124, "accuracy_m": -1}) == {("accuracy_m", "greater_than_equal")}
    assert GeoPoint.model_validate({"lat": 44, "lon": 124, "accuracy_m": 8.5}).accuracy_m == Decimal("8.5")


def test_json_has_numbers_and_the_store_decimals():
    p = GeoPoint.model_validate({"lat": 44.6123, "lon": -0.0000001, "accuracy_m": 12})
    assert json.loads(p.model_dump_json()) == {"lat": 44.6123, "lon": -1e-07, "accuracy_m": 12}
    assert p.stored() == {"lat": Decimal("44.6123"), "lon": Decimal("-1E-7"), "accuracy_m": Decimal("12")}
    assert GeoPoint.model_validate({"lat": 44, "lon": 124}).stored() == {"lat": Decimal(44), "lon": Decimal(124)}


def test_every_seven_decimal_coordinate_survives_the_trip_through_a_json_number():
    """The written float must read back as the same decimal: at most 10 significant digits fit a double."""
    for text in ("-179.9999999", "89.9999999", "0.0000001", "124.9312345", "-33.1000001"):
        p = GeoPoint.model_validate({"lat": Decimal("1"), "lon": Decimal(text)})
        assert Decimal(repr(json.loads(p.model_dump_json())["lon"])) == Decimal(text)


def test_schema_is_one_number_type_per_coordinate():
    props = GeoPoint.model_json_schema()["properties"]
    assert props["lat"]["type"] == "number" and (props["lat"]["minimum"], props["lat"]["maximum"]) == (-90, 90)
    assert props["lon"]["type"] == "number" and (props["lon"]["minimum"], props["lon"]["maximum"]) == (-180, 180)
    assert "anyOf" not in props["lat"] and "anyOf" not in props["lon"]
    assert set(props) == {"lat", "lon", "accuracy_m"}
