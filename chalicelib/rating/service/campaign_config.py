"""A campaign's frozen configuration (parameter documents and versions, village averages, rating date,
challenger) and the statistical challenger's points-table artifacts; the households the campaign rates (the
customers context's, through its public interface)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.domain import parameters as rp
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.domain.rating_input import VillageAverages
from chalicelib.rating.service.campaign_tx import s3, settings


def village_households(village_code: str) -> list[dict[str, Any]]:
    """Households filed for a village (the customers context's ``list_by_village``)."""
    from chalicelib.customers import public as customers

    return customers.list_by_village(village_code)


def households_by_id(ids: list[str]) -> dict[str, dict[str, Any]]:
    """Households by id with one BatchGetItem per 100 ids (the customers context's ``households_by_id``)."""
    from chalicelib.customers import public as customers

    return customers.households_by_id(ids)


def documents(on: date) -> tuple[dict[str, Any], dict[str, int]]:
    """The parameter documents a campaign started ``on`` rates with, by role (campaign, scorecard, credit_line,
    products, evaluation, classification; snapshotted as they are), and their stored versions by parameter name
    (a shipped default in force, nothing stored, records no version). Each is validated by its model on the way
    (:mod:`chalicelib.rating.domain.parameters`; ``products`` through the rating view of it; the five-category
    rule, post-loan's, read as a document that post-loan's classification checks when it is used)."""
    from chalicelib.platform import parameters
    from chalicelib.platform.parameter_models import ParameterDocument

    campaign, campaign_version = parameters.load("village_campaign", on, rp.VillageCampaign)
    names = {"scorecard": (campaign.scorecard_parameter, rp.ScorecardDocument),
             "credit_line": ("credit_line_policy", rp.CreditLinePolicyDocument),
             "products": ("products", rp.SubLineProducts),
             "evaluation": ("credit_evaluation", rp.CreditEvaluationDocument),
             "classification": ("classification_rule", ParameterDocument)}
    docs = {"campaign": campaign.document}
    versions = {"village_campaign": campaign_version}
    for role, (name, model) in names.items():
        got, version = parameters.load(name, on, model)
        docs[role] = got.document
        versions[name] = version
    return docs, {name: v for name, v in versions.items() if v is not None}


def campaign_settings(document: dict[str, Any]) -> rp.VillageCampaign:
    """The ``village_campaign`` settings of a campaign's snapshot, as their model."""
    from chalicelib.platform.parameter_models import parse

    return parse("village_campaign", document, rp.VillageCampaign)


@dataclass
class Config:
    """A campaign's frozen configuration: parsed policies, village averages, rating date, challenger."""

    campaign_id: str
    rated_on: date
    policies: vc.Policies
    averages: VillageAverages
    campaign_doc: dict[str, Any]
    challenger: dict[str, Any] | None = None
    challenger_artifact: dict[str, Any] | None = field(default=None, repr=False)
    classification_rule: dict[str, Any] | None = None  # five-category rule (None: the 2023 default)

    @property
    def notice_days(self) -> int:
        return campaign_settings(self.campaign_doc).notice_days

    @property
    def margin_days(self) -> int:
        return campaign_settings(self.campaign_doc).confirmation_margin_days


_CONFIG_CACHE: dict[str, Config] = {}


def config(campaign_id: str) -> Config:
    """The campaign's snapshot (cached per process: it never changes once written); NotFound
    ``CAMPAIGN_CONFIG_NOT_FOUND`` before the load step wrote it."""
    cached = _CONFIG_CACHE.get(campaign_id)
    if cached:
        return cached
    item = camp_repo.get_config(campaign_id)
    docs = item["documents"]
    avg = item["averages"]
    cfg = Config(
        campaign_id=campaign_id, rated_on=date.fromisoformat(item["rated_on"]),
        policies=vc.Policies.from_documents(scorecard=docs["scorecard"], credit_line=docs["credit_line"],
                                            products=docs["products"], evaluation=docs["evaluation"],
                                            versions=item["versions"]),
        averages=VillageAverages(household_count=int(avg["household_count"]),
                                 **{k: Decimal(str(avg[k])) for k in ("total_assets", "net_assets", "net_income",
                                                                      "credit_union_shares")}),
        campaign_doc=docs["campaign"], challenger=item.get("challenger"),
        classification_rule=docs.get("classification"))
    if cfg.challenger:
        cfg.challenger_artifact = load_artifact(cfg.challenger["model_id"], cfg.challenger["version"])
    if len(_CONFIG_CACHE) > 64:
        _CONFIG_CACHE.clear()
    _CONFIG_CACHE[campaign_id] = cfg
    return cfg


def artifact_key(model_id: str, version: str) -> str:
    """Where a statistical points table lives in the documents bucket."""
    return f"models/{model_id}/{version}.json"


@cache
def load_artifact(model_id: str, version: str) -> dict[str, Any]:
    """A points-table artifact from S3; 422 ``CHALLENGER_NOT_FOUND`` if absent."""
    from botocore.exceptions import ClientError

    try:
        body = s3().get_object(Bucket=settings().documents_bucket, Key=artifact_key(model_id, version))["Body"]
    except ClientError:
        raise ValidationFailed(f"no model artifact {model_id} version {version}", code="CHALLENGER_NOT_FOUND",
                               field="challenger") from None
    loaded: dict[str, Any] = json.loads(body.read())
    return loaded


def check_challenger(challenger: dict[str, Any] | None) -> dict[str, Any] | None:
    """Validate a challenger reference: the artifact exists and scores household features only (422
    ``CHALLENGER_NOT_FOUND`` / ``CHALLENGER_FEATURES_UNAVAILABLE``); returns the reference as stored."""
    if not challenger:
        return None
    art = load_artifact(str(challenger["model_id"]), str(challenger["version"]))
    missing = vc.challenger_missing_features(art)
    if missing:
        raise ValidationFailed("the challenger model uses features households do not have; "
                               "see docs/decisions/0010-statistical-challenger.md",
                               code="CHALLENGER_FEATURES_UNAVAILABLE", field="challenger",
                               details={"missing": missing[:20]})
    return {"model_id": str(challenger["model_id"]), "version": str(challenger["version"])}
