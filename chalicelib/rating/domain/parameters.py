"""The parameter documents the rating context owns, as models (registered with
:mod:`chalicelib.platform.parameter_models`; read with ``chalicelib.platform.parameters.load``):

* ``scorecard_*`` (:class:`ScorecardDocument`): every scorecard (``village_campaign.scorecard_parameter`` may name
  any of them), parsed by :func:`chalicelib.rating.domain.scorecard.load_scorecard` (``SCORECARD_INVALID``);
* ``credit_line_policy`` (:class:`CreditLinePolicyDocument`, ``CREDIT_LINE_POLICY_INVALID``);
* ``credit_evaluation`` (:class:`CreditEvaluationDocument`, ``EVALUATION_POLICY_INVALID``);
* ``village_campaign`` (:class:`VillageCampaign`): the campaign workflow's settings and their ranges;
* the view of ``products`` the campaign reads (:class:`SubLineProducts`: the products carrying sub-lines).

Defaults live only in the shipped documents (``chalicelib/reference/parameters``): every member a reader uses is
required here. Pure: no I/O.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Self

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.parameter_models import DomainParsed, ParameterDocument, parameter_document, parameter_view
from chalicelib.rating.domain.credit_line import CreditLinePolicy, Product, load_policy
from chalicelib.rating.domain.evaluation import EvaluationPolicy, load_evaluation_policy
from chalicelib.rating.domain.scorecard import Scorecard, load_scorecard
from chalicelib.rating.domain.village_credit import village_credit_products

SCORECARD_PREFIX = "scorecard_"


@parameter_document(SCORECARD_PREFIX, prefix=True)
class ScorecardDocument(DomainParsed):
    """A scorecard document: :class:`chalicelib.rating.domain.scorecard.Scorecard` (indicator bins, knock-outs,
    grades; its own rules), as :attr:`scorecard`."""

    domain_parser = staticmethod(load_scorecard)

    @property
    def scorecard(self) -> Scorecard:
        return self.parsed  # what domain_parser returns


@parameter_document("credit_line_policy")
class CreditLinePolicyDocument(DomainParsed):
    """The credit-line policy: :class:`chalicelib.rating.domain.credit_line.CreditLinePolicy`, as :attr:`policy`."""

    domain_parser = staticmethod(load_policy)

    @property
    def policy(self) -> CreditLinePolicy:
        return self.parsed  # what domain_parser returns


@parameter_document("credit_evaluation")
class CreditEvaluationDocument(DomainParsed):
    """Credit household / village / township rules: :class:`chalicelib.rating.domain.evaluation.EvaluationPolicy`,
    as :attr:`policy`."""

    domain_parser = staticmethod(load_evaluation_policy)

    @property
    def policy(self) -> EvaluationPolicy:
        return self.parsed  # what domain_parser returns


@parameter_view("products")
class SubLineProducts(ParameterDocument):
    """The rating context's view of the ``products`` document (owned by loans): the products carrying sub-lines
    of a village credit line, in ``allocation_order`` (:func:`chalicelib.rating.domain.village_credit.
    village_credit_products`), each a :class:`chalicelib.rating.domain.credit_line.Product` (as :attr:`products`).
    Raises ValidationFailed ``PRODUCTS_INVALID`` (field ``products`` for a product the credit line cannot use)."""

    _products: tuple[Product, ...] = PrivateAttr()

    @model_validator(mode="wrap")
    @classmethod
    def _parsed(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        from pydantic import ValidationError

        products = []
        for p in village_credit_products(data):
            try:
                products.append(Product.model_validate(p))
            except ValidationError as exc:
                raise ValidationFailed(f"product {p['product_id']}: {exc.errors()[0]['msg']}",
                                       code="PRODUCTS_INVALID", field="products") from None
        model = handler(data)
        model._products = tuple(products)
        return model

    @property
    def products(self) -> tuple[Product, ...]:
        return self._products


#: ``village_campaign`` ranges. Decisions: the public notice lasts 1-30 days (shipped 7, "7 days is common",
#: SOURCES.md); the confirmation margin 0-60 days; a batch rates 1-100 households (one BatchGetItem page holds
#: 100 keys); at most 40 batches run at once (the concurrency Step Functions supports for an inline Map state).
NOTICE_DAYS = (1, 30)
CONFIRMATION_MARGIN_DAYS = (0, 60)
BATCH_SIZE = (1, 100)
MAX_CONCURRENCY = (1, 40)
#: An institution's organisation id (``JL-220122``: the province union's prefix and the county code).
_INSTITUTION_ID = re.compile(r"^[A-Z]{2}-[0-9]{6}$")
MAX_RESIDENTS_COMMITTEE_INSTITUTIONS = 200


NoticeDays = Annotated[StrictInt, Field(ge=NOTICE_DAYS[0], le=NOTICE_DAYS[1])]
MarginDays = Annotated[StrictInt, Field(ge=CONFIRMATION_MARGIN_DAYS[0], le=CONFIRMATION_MARGIN_DAYS[1])]
BatchSize = Annotated[StrictInt, Field(ge=BATCH_SIZE[0], le=BATCH_SIZE[1])]
Concurrency = Annotated[StrictInt, Field(ge=MAX_CONCURRENCY[0], le=MAX_CONCURRENCY[1])]


@parameter_document("village_campaign")
class VillageCampaign(ParameterDocument):
    """Settings of the whole-village campaign (read by ``chalicelib.rating.service.campaign``): the ranges above;
    ``scorecard_parameter`` names a ``scorecard_*`` document (checked as a scorecard when stored);
    ``rate_statuses`` household statuses; ``challenger`` null or ``{"model_id", "version"}``;
    ``residents_committee_institutions`` distinct institution ids (``JL-220122``, at most 200). Every error is
    ``PARAMETER_VALUE`` naming the member."""

    scorecard_parameter: Annotated[StrictStr, Field(pattern=r"^scorecard_[a-z0-9_]{1,54}$")]
    notice_days: NoticeDays
    confirmation_margin_days: MarginDays
    rate_statuses: tuple[str, ...]
    batch_size: BatchSize
    max_concurrency: Concurrency
    #: None: no challenger. The store keeps no null member, so a stored ``"challenger": null`` comes back absent.
    challenger: dict[str, str] | None = None
    residents_committee_institutions: tuple[str, ...]

    @field_validator("rate_statuses", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        from chalicelib.customers.public import HOUSEHOLD_STATUSES

        if not isinstance(value, list) or not value or any(s not in HOUSEHOLD_STATUSES for s in value):
            raise ValueError(f"must be a non-empty list of household statuses ({', '.join(HOUSEHOLD_STATUSES)})")
        return value

    @field_validator("challenger", mode="before")
    @classmethod
    def _challenger(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, dict) or any(
                not isinstance(value.get(k), str) or not value[k] for k in ("model_id", "version"))):
            raise ValueError('must be null or {"model_id": "...", "version": "..."}')
        return value

    @field_validator("residents_committee_institutions", mode="before")
    @classmethod
    def _institutions(cls, value: Any) -> Any:
        if (not isinstance(value, list) or len(value) > MAX_RESIDENTS_COMMITTEE_INSTITUTIONS
                or len(set(map(str, value))) != len(value)
                or any(not isinstance(i, str) or not _INSTITUTION_ID.match(i) for i in value)):
            raise ValueError("must be a list of distinct institution ids such as JL-220122 "
                             f"(at most {MAX_RESIDENTS_COMMITTEE_INSTITUTIONS})")
        return value
