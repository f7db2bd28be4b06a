"""The parameter documents the loans context owns, as models (registered with
:mod:`chalicelib.platform.parameter_models`; read with ``chalicelib.platform.parameters.load``):

* ``lpr_fixings`` (:class:`LprFixings`): the LPR table (``LPR_TABLE_INVALID``), as :attr:`LprFixings.table`;
* ``products`` (:class:`Products`): the lending terms of every product (``PRODUCTS_INVALID``), as
  :attr:`Products.catalogue` (the rating context reads the sub-line fields through its own view);
* ``approval_rules`` (:class:`ApprovalRules`): the auto-approval decision graph, compiled when stored;
* ``loan_workflow`` (:class:`LoanWorkflow`): what the drawdown state machines are started with;
* ``approval_authority`` and ``contract_template``: documents read as they are (any JSON object).

Defaults live only in the shipped documents (``chalicelib/reference/parameters``): every member a reader uses is
required here. Pure: no I/O.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StrictInt,
    StrictStr,
    ValidationInfo,
    model_validator,
)

from chalicelib.loans.domain.products import LoanProduct, load_products
from chalicelib.loans.domain.rates import LprTable, parse_lpr_table
from chalicelib.platform.errors import NotFound, ValidationFailed
from chalicelib.platform.parameter_models import (
    DomainParsed,
    ParameterDocument,
    brief,
    effective_from,
    parameter_document,
    refuse,
)
from chalicelib.platform.rules import compiled_decision

#: Plausible LPR fixings, in percent a year. Every fixing since the reform of 2019-08-20 lies well inside:
#: 1Y 3.00-4.25 %, 5Y 3.50-4.85 % (the table ``chalicelib/reference/parameters/lpr_fixings.json``, sources in
#: ``chalicelib/reference/SOURCES.md``). Decision: 0.5-20 % refuses a fraction typed for a percent ("0.0345"),
#: an extra digit ("34.5") or an exponent slip ("1e3" = 1000 %), and keeps the priced rate far from any
#: Decimal overflow, while leaving room for any rate the PBOC regime could plausibly publish.
LPR_PERCENT_RANGE = (Decimal("0.5"), Decimal("20"))
_PLAIN_DECIMAL = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,4})?$")


@parameter_document("lpr_fixings")
class LprFixings(ParameterDocument):
    """The LPR fixings (:func:`chalicelib.loans.domain.rates.parse_lpr_table`: rows ``[date, 1Y %, 5Y %]``, no
    duplicate dates, optional ``as_of``), every rate written in plain decimal notation (``"3.45"``: no exponent, at
    most 4 decimals) within :data:`LPR_PERCENT_RANGE`; when a version is stored, no fixing (nor ``as_of``) dated
    after its effective date (a fixing is published on its date, and a future date would keep the table from
    ever going stale). Raises ValidationFailed ``LPR_TABLE_INVALID`` with the row (``fixings[3]``)."""

    _table: LprTable = PrivateAttr()

    @model_validator(mode="wrap")
    @classmethod
    def _parsed(cls, data: Any, handler: ModelWrapValidatorHandler[Self], info: ValidationInfo) -> Self:
        table = parse_lpr_table(data)
        low, high = LPR_PERCENT_RANGE
        day = effective_from(info)
        for index, row in enumerate(data["fixings"]):
            if day is not None and date.fromisoformat(row[0]) > day:
                raise ValidationFailed(f"fixings[{index}]: the fixing of {row[0]} is after the effective date {day}",
                                       code="LPR_TABLE_INVALID", field=f"fixings[{index}]")
            for rate in row[1:]:
                text = str(rate)
                if not _PLAIN_DECIMAL.match(text) or not low <= Decimal(text) <= high:
                    raise ValidationFailed(f"fixings[{index}]: the rate {brief(text)[:40]!r} is not a percent from "
                                           f"{low} to {high} in plain decimal notation (e.g. \"3.45\")",
                                           code="LPR_TABLE_INVALID", field=f"fixings[{index}]")
        if day is not None and table.as_of > day:
            raise ValidationFailed(f"as_of {table.as_of} is after the effective date {day}",
                                   code="LPR_TABLE_INVALID", field="as_of")
        model = handler(data)
        model._table = table
        return model

    @property
    def table(self) -> LprTable:
        return self._table


@parameter_document("products")
class Products(DomainParsed):
    """The product catalogue: the lending terms of every product with their sanity bounds
    (:func:`chalicelib.loans.domain.products.load_products`: rates, spreads, day count, allocation order, penalty
    uplift, grace, amounts, terms; ``PRODUCTS_INVALID`` with ``products[i].<field>``), as :attr:`catalogue`."""

    domain_parser = staticmethod(load_products)

    @property
    def catalogue(self) -> dict[str, LoanProduct]:
        """Products by code."""
        return self.parsed  # what domain_parser returns

    def product(self, code: str) -> LoanProduct:
        """The product ``code``; NotFound ``PRODUCT_NOT_FOUND`` if the catalogue has none."""
        found = self.catalogue.get(code)
        if found is None:
            raise NotFound(f"no product {code}", code="PRODUCT_NOT_FOUND", field="product_code")
        return found


class DecisionGraph(ParameterDocument):
    """A JDM decision graph: an object with the lists ``nodes`` and ``edges``."""

    nodes: list[Any]
    edges: list[Any]


@parameter_document("approval_rules")
class ApprovalRules(ParameterDocument):
    """The auto-approval rule set (:mod:`chalicelib.loans.domain.approval_rules`): ``decision`` is a JDM graph the
    engine compiles (at evaluation time a broken graph sends every drawdown to people, so it is refused when
    stored: ``PARAMETER_VALUE`` at ``decision``, the engine's words in one short line)."""

    decision: DecisionGraph
    #: The rule set's name, recorded with every decision (the parameter's name when the document gives none).
    rule_set: StrictStr = "approval_rules"

    @model_validator(mode="wrap")
    @classmethod
    def _compiles(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)  # the shape first, so the field at fault is named whatever the engine says
        try:
            compiled_decision(data)
        except Exception as exc:  # noqa: BLE001 - zen-engine reports graph faults as RuntimeError
            raise ValidationFailed(f"the decision graph cannot be compiled: {brief(exc)}", code="PARAMETER_VALUE",
                                   field="decision") from None
        return model


@parameter_document("approval_authority")
class ApprovalAuthority(ParameterDocument):
    """The approval authority matrix (read by ``chalicelib.loans.service.approval``): ``rules`` give each role the
    largest amount it may decide at a stage. No rules means nobody may decide (fail safe)."""

    rules: list[dict[str, Any]] = Field(default_factory=list)


@parameter_document("contract_template")
class ContractTemplate(ParameterDocument):
    """The loan contract's texts (``title``, ``header``, ``parties``, ``clauses``, ``footer``), rendered by
    :func:`chalicelib.loans.domain.contract_pdf.render` from :attr:`document`; ``template_id`` is recorded on the
    contract (null when the document names none)."""

    template_id: StrictStr | None = None


#: ``loan_workflow`` (what the drawdown state machines are started with). Decisions, not regulation: a human step
#: (investigation, review, approval) times out after 1 minute to 30 days (shipped: 2-3 days; Step Functions needs
#: a positive whole number of seconds); a step is escalated at most 3 times (outlet → branch → institution →
#: province: the levels of the organisation tree); the disbursement saga queries an unknown transfer after 1 to
#: 20 waits of 1 second to 1 day each (shipped: 5 s .. 600 s).
WORKFLOW_STAGES = ("investigation", "review", "approval")
TASK_TIMEOUT_SECONDS = (60, 30 * 86400)
#: Step Functions' own floor (a positive whole number of seconds): what a stored version must hold to be read. The
#: minute above is checked when a version is added through the API (tests store seconds-long steps directly).
TASK_TIMEOUT_FLOOR_SECONDS = 1
MAX_ESCALATIONS = (0, 3)
QUERY_WAIT_SECONDS = (1, 86400)
MAX_QUERIES = 20

Stage = Literal["investigation", "review", "approval"]
TimeoutSeconds = Annotated[StrictInt, Field(ge=TASK_TIMEOUT_FLOOR_SECONDS, le=TASK_TIMEOUT_SECONDS[1])]
QueryWait = Annotated[StrictInt, Field(ge=QUERY_WAIT_SECONDS[0], le=QUERY_WAIT_SECONDS[1])]


@parameter_document("loan_workflow")
class LoanWorkflow(ParameterDocument):
    """The drawdown workflow: ``task_timeout_seconds`` of every stage (:data:`WORKFLOW_STAGES`),
    ``max_escalations``, ``query_wait_seconds`` (the disbursement saga's waits), ``disbursing_account`` (the
    institution's account the transfers are made from) and the ``sms`` texts by notification name. Every error is
    ``PARAMETER_VALUE`` naming the member (``task_timeout_seconds.review``)."""

    task_timeout_seconds: dict[Stage, TimeoutSeconds]
    max_escalations: Annotated[StrictInt, Field(ge=MAX_ESCALATIONS[0], le=MAX_ESCALATIONS[1])]
    query_wait_seconds: Annotated[list[QueryWait], Field(min_length=1, max_length=MAX_QUERIES)]
    disbursing_account: Annotated[StrictStr, Field(pattern=r"\S")]
    sms: dict[str, StrictStr]

    @model_validator(mode="after")
    def _every_stage(self, info: ValidationInfo) -> Self:
        missing = [s for s in WORKFLOW_STAGES if s not in self.task_timeout_seconds]
        if missing:
            raise refuse("task_timeout_seconds", f"must give the timeout of every stage: {', '.join(missing)} "
                                                 "missing")
        low, high = TASK_TIMEOUT_SECONDS
        for stage, seconds in self.task_timeout_seconds.items():
            if effective_from(info) is not None and not low <= seconds <= high:
                raise refuse(f"task_timeout_seconds.{stage}", f"must be a whole number from {low} to {high}")
        return self

    def state_machine_config(self) -> dict[str, Any]:
        """The ``config`` part of a drawdown state machine's input: ``{"timeouts": {stage: seconds},
        "max_escalations", "query_waits": [seconds], "max_queries"}``."""
        timeouts: dict[str, int] = {str(stage): s for stage, s in self.task_timeout_seconds.items()}
        return {"timeouts": {stage: timeouts[stage] for stage in WORKFLOW_STAGES},
                "max_escalations": self.max_escalations, "query_waits": list(self.query_wait_seconds),
                "max_queries": len(self.query_wait_seconds)}

