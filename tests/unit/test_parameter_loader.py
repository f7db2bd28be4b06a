"""The one loader of parameter documents (chalicelib.platform.parameters.load / load_version) and the registry's
catalogue: the store is replaced by a dict of versions (unit tests open no sockets)."""
from __future__ import annotations

import copy
from datetime import date

import pytest

from chalicelib.platform import parameter_models, parameters
from chalicelib.platform.errors import NotFound, ValidationFailed
from chalicelib.platform.parameter_models import ParameterDocument
from chalicelib.routes import load_parameter_models

DAY = date(2026, 11, 30)


@pytest.fixture
def store(monkeypatch):
    """``{(name, effective_from): (version, document)}`` read like the real store."""
    versions: dict[tuple[str, date], tuple[int, dict]] = {}

    def get_effective(name, on):
        in_force = [d for (n, d) in versions if n == name and d <= on]
        if not in_force:
            raise NotFound("none", code="PARAMETER_NOT_FOUND")
        version, value = versions[(name, max(in_force))]
        return {"name": name, "version": version, "effective_from": max(in_force).isoformat(), "value": value}

    def list_versions(name):
        return [{"name": name, "version": v, "value": doc} for (n, _d), (v, doc) in versions.items() if n == name]

    monkeypatch.setattr(parameters, "get_effective", get_effective)
    monkeypatch.setattr(parameters, "list_versions", list_versions)
    monkeypatch.setattr(parameters, "_PARSED", {})
    load_parameter_models()
    return versions


@pytest.mark.parametrize("name", parameters.list_names())
def test_without_a_stored_version_every_reader_gets_the_shipped_default_as_its_model(store, name):
    model, version = parameters.load(name, DAY)
    assert version is None
    assert isinstance(model, parameter_models.model_for(name))
    assert model.document == parameters.default_document(name)


def test_the_stored_version_in_force_on_the_date_is_read_with_its_number(store):
    from chalicelib.loans.domain.parameters import LoanWorkflow

    shipped = parameters.default_document("loan_workflow")
    store[("loan_workflow", date(2026, 1, 1))] = (1, shipped)
    store[("loan_workflow", date(2026, 12, 1))] = (2, {**shipped, "query_wait_seconds": [7, 9]})
    before, v1 = parameters.load("loan_workflow", DAY, LoanWorkflow)
    after, v2 = parameters.load("loan_workflow", date(2026, 12, 1), LoanWorkflow)
    assert (v1, v2) == (1, 2)
    assert before.query_wait_seconds == [5, 30, 120, 600] and after.query_wait_seconds == [7, 9]
    assert after.state_machine_config()["max_queries"] == 2
    assert parameters.load_version("loan_workflow", 1, LoanWorkflow).query_wait_seconds == [5, 30, 120, 600]
    assert parameters.load_version("loan_workflow", None, LoanWorkflow).document == shipped
    with pytest.raises(NotFound) as err:
        parameters.load_version("loan_workflow", 3)
    assert err.value.code == "PARAMETER_NOT_FOUND"


def test_a_name_with_neither_a_version_nor_a_shipped_default_is_not_found(store):
    with pytest.raises(NotFound) as err:
        parameters.load("scorecard_custom", DAY)
    assert err.value.code == "PARAMETER_NOT_FOUND"


def test_a_stored_document_that_breaks_its_model_is_refused_with_the_models_code(store):
    broken = copy.deepcopy(parameters.default_document("lpr_fixings"))
    broken["fixings"].append(["2026-08-20", "3.00", "3.50"])  # a duplicate date
    store[("lpr_fixings", date(2026, 1, 1))] = (4, broken)
    with pytest.raises(ValidationFailed) as err:
        parameters.load("lpr_fixings", DAY)
    assert (err.value.code, err.value.fields[0].field) == ("LPR_TABLE_INVALID", "fixings")
    assert err.value.details == {"parameter": "lpr_fixings", "version": 4}  # the version at fault, for a record


def test_a_document_another_context_owns_is_read_through_the_readers_view(store):
    from chalicelib.rating.domain.parameters import SubLineProducts

    view, version = parameters.load("products", DAY, SubLineProducts)
    assert version is None and [p.product_id for p in view.products]  # the products carrying sub-lines
    raw, _ = parameters.load("classification_rule", DAY, ParameterDocument)  # as a document, no rules applied
    assert raw.document == parameters.default_document("classification_rule")


def test_the_composition_root_installs_the_catalogue_of_every_context(monkeypatch):
    from chalicelib import routes

    monkeypatch.setattr(parameter_models, "_catalogue", [])
    routes.wire()
    assert parameter_models._catalogue == [routes.load_parameter_models]
    load_parameter_models()
    registered = {**parameter_models._MODELS, **parameter_models._PREFIX_MODELS}.values()
    assert {m.__module__ for m in registered} == set(routes.PARAMETER_MODELS)


def test_a_name_nobody_registered_runs_the_catalogue_once(monkeypatch):
    monkeypatch.setattr(parameter_models, "_MODELS", {})
    monkeypatch.setattr(parameter_models, "_PREFIX_MODELS", {})
    monkeypatch.setattr(parameter_models, "_catalogue", [])
    calls = []

    class Late(ParameterDocument):
        threshold: int

    def catalogue() -> None:
        calls.append(1)
        parameter_models.parameter_document("late_doc")(Late)

    parameter_models.use_catalogue(catalogue)
    assert parameter_models.model_for("late_doc") is Late
    assert parameter_models.model_for("other_doc") is None
    assert calls == [1]
    with pytest.raises(ValidationFailed) as err:
        parameters.check_document("late_doc", {"threshold": "x"}, effective_from=DAY)
    assert (err.value.code, err.value.fields[0].field) == ("PARAMETER_VALUE", "value.threshold")
