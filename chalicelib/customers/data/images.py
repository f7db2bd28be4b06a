"""Household image metadata (影像资料): :class:`~chalicelib.customers.data.models.HouseholdImage` items, in the
household's partition and scoped exactly like it. Readers get dicts (``state()``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.platform.access import Principal
from chalicelib.platform.errors import NotFound

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action


def not_found() -> NotFound:
    """404 ``IMAGE_NOT_FOUND``."""
    return NotFound("image not found", code="IMAGE_NOT_FOUND", field="image_id")


def add(image: dict[str, Any], *, actor_id: str) -> None:
    """Write a new image's metadata (``image``: the model's attributes) with its audit record (``image_added``
    on the household)."""
    from chalicelib.customers.data.models import HouseholdImage
    from chalicelib.platform.dynamo.tx import Audit, Transaction

    tx = Transaction()
    tx.save(HouseholdImage(**image), condition=HouseholdImage.PK.does_not_exist())
    tx.record(Audit(entity_type="household", entity_id=image["household_id"], action="image_added",
                    actor_id=actor_id, before=None,
                    after={"image_id": image["image_id"], "kind": image["kind"], "size": image["size"]},
                    org_path=image["org_path"]))
    tx.commit()


def get(principal: Principal, household_id: str, image_id: str) -> dict[str, Any]:
    """The image metadata if its household is in scope (404 ``IMAGE_NOT_FOUND`` otherwise)."""
    from chalicelib.customers.data.models import HouseholdImage

    found = HouseholdImage.find(*HouseholdImage.key(household_id, image_id))
    if found is None or not principal.can_see(org_path=found.org_path, household_id=found.household_id):
        raise not_found()
    return found.state()


def list_for(household_id: str) -> list[dict[str, Any]]:
    """Every image of a household (the caller checked the household's scope)."""
    from chalicelib.customers.data.models import HouseholdImage
    from chalicelib.platform.dynamo import pages

    pk, prefix = HouseholdImage.prefix(household_id)
    return [i.state() for i in pages.model_query_all(HouseholdImage, pk_value=pk, sk_op="begins_with",
                                                     sk_value=prefix)]


def settle(image: dict[str, Any], status: str, rejection: str | None, *, actor_id: str) -> None:
    """pending → ``status`` (uploaded | rejected, with the ``rejection`` code), conditioned on still pending, with
    its audit record (``image_<status>``)."""
    from chalicelib.customers.data.models import HouseholdImage
    from chalicelib.platform.clock import utc_now_iso
    from chalicelib.platform.dynamo.tx import Audit, Transaction

    model = HouseholdImage(household_id=image["household_id"], image_id=image["image_id"])
    actions: list[Action] = [HouseholdImage.status.set(status), HouseholdImage.updated_at.set(utc_now_iso())]
    if rejection:
        actions.append(HouseholdImage.rejection.set(rejection))
    tx = Transaction()
    tx.update_model(model, actions, condition=HouseholdImage.status == "pending")
    tx.record(Audit(entity_type="household", entity_id=image["household_id"], action=f"image_{status}",
                    actor_id=actor_id, before={"image_id": image["image_id"], "status": "pending"},
                    after={"image_id": image["image_id"], "status": status, "rejection": rejection},
                    org_path=image["org_path"]))
    tx.commit()
