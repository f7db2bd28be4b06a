"""template.yaml defines the tables; the item models mirror them. Every model of the product (every subclass of
chalicelib.platform.dynamo.models.ItemModel in chalicelib) is checked against the template: its table (through
the settings field its Meta names and the environment variable the template sets from the table), its hash and
range keys with their types, and its global secondary indexes (names, key attributes, projection)."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

import chalicelib
from chalicelib.platform.dynamo import models
from infra.template import load, resources_of

TEMPLATE = load()
TABLES = resources_of(TEMPLATE, "AWS::DynamoDB::Table")
ENV = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]


def _all_models() -> list[type[models.ItemModel]]:
    for info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(info.name)
    found, todo = [], [models.ItemModel]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            found.append(sub)
    return found


MODELS = [m for m in _all_models() if m.__module__.startswith("chalicelib.")]  # not test doubles


def _table_of(model: type[models.ItemModel]) -> str:
    """The template's logical id of the table a model's settings field names (``core_table`` → ``CORE_TABLE``
    → ``!Ref CoreTable``)."""
    ref = ENV[model.Meta.setting.upper()]
    assert set(ref) == {"Ref"}, f"{model.__name__}: {model.Meta.setting.upper()} is not a table reference"
    return str(ref["Ref"])


def test_models_are_found_and_every_table_base_binds_a_table_of_the_template():
    assert {m.__name__ for m in MODELS} >= {"CoreModel", "AuditTableModel", "ParametersTableModel", "AuditRecord"}
    for base, lid in models.TABLES.items():
        assert _table_of(base) == lid and lid in TABLES


@pytest.mark.parametrize("model", MODELS, ids=lambda m: f"{m.__module__}.{m.__name__}")
def test_each_model_matches_its_table_in_the_template(model):
    table = TABLES[_table_of(model)]["Properties"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    schema = model._get_schema()
    assert {(k["AttributeName"], k["KeyType"]) for k in schema["key_schema"]} == {
        (k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]}
    declared = {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]}
    assert declared == {name: types[name] for name in declared}, declared
    indexes = {i["index_name"]: i for i in schema["global_secondary_indexes"]}
    expected = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == set(expected), f"{model.__name__}: indexes {set(indexes)} != template {set(expected)}"
    for name, index in indexes.items():
        assert {(k["AttributeName"], k["KeyType"]) for k in index["key_schema"]} == {
            (k["AttributeName"], k["KeyType"]) for k in expected[name]["KeySchema"]}
        assert index["projection"]["ProjectionType"] == expected[name]["Projection"]["ProjectionType"]
