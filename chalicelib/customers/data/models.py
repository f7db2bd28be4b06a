"""The item models of the customers context: households and their one-person-one-household index, household
images, roster import jobs, PAD sync receipts, agricultural entities and their USCC index.

Each model owns its keys (``key(...)``, and :meth:`fill_keys` from its own attributes before every write) and its
index entries; no other module builds them. Imported where a model is used (inside the data functions), so that
pynamodb stays off the cold start of a function until it reads or writes one of these items. Money and measures
are ``Decimal`` (:class:`MoneyAttribute`; inside documents through :class:`DocumentAttribute`), never float.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute

from chalicelib.platform.dynamo.models import (
    CoreModel,
    DocumentAttribute,
    DocumentListAttribute,
    IntegerAttribute,
    MoneyAttribute,
)


class Household(CoreModel):
    """A household file (农户档案): ``HH#<household_id>`` / ``HH``; GSI1 ``VILLAGE#<village_code>`` /
    ``HH#<household_id>`` (a village's households); GSI2 ``AM#<collected_by>`` / ``HH#<household_id>`` (an
    account manager's).

    ``status`` draft | submitted | verified; ``data_source`` roster_import | door_to_door | self_service;
    ``members`` (list of maps; personal numbers only as ``*_hash`` / ``*_masked`` / ``*_enc``); ``assets``,
    ``liabilities``, ``income``, ``expenses`` (maps of Decimal CNY and measures); ``version`` (optimistic lock:
    1 on create, +1 per change, conditioned by the repository); ``import_hash`` (keyed hash of the last imported
    content); ``account_manager_id`` (管户客户经理, when another than the collector is responsible)."""

    kind = UnicodeAttribute(default="household")
    household_id = UnicodeAttribute()
    village_code = UnicodeAttribute()
    village_name = UnicodeAttribute(null=True)
    township_name = UnicodeAttribute(null=True)
    county_name = UnicodeAttribute(null=True)
    village_group = UnicodeAttribute(null=True)
    household_no = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    gps = DocumentAttribute(null=True)
    org_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    version = IntegerAttribute()
    data_source = UnicodeAttribute(null=True)
    collected_by = UnicodeAttribute(null=True)
    account_manager_id = UnicodeAttribute(null=True)
    verified_by = UnicodeAttribute(null=True)
    head_member_id = UnicodeAttribute(null=True)
    head_name = UnicodeAttribute(null=True)
    member_count = IntegerAttribute(null=True)
    labourer_count = IntegerAttribute(null=True)
    members = DocumentListAttribute(default=list)
    assets = DocumentAttribute(null=True)
    liabilities = DocumentAttribute(null=True)
    income = DocumentAttribute(null=True)
    expenses = DocumentAttribute(null=True)
    main_crops = DocumentListAttribute(null=True)
    expected_net_income = MoneyAttribute(null=True)
    collected_on = UnicodeAttribute(null=True)
    committee_assessment = UnicodeAttribute(null=True)
    repayment_record = UnicodeAttribute(null=True)
    blacklisted = BooleanAttribute(null=True)
    import_hash = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(household_id: str) -> tuple[str, str]:
        return f"HH#{household_id}", "HH"

    @staticmethod
    def village_partition(village_code: str) -> str:
        """The GSI1 partition of a village's households."""
        return f"VILLAGE#{village_code}"

    #: the GSI1 sort-key prefix of household entries (a village's partition holds other items too)
    VILLAGE_SORT_PREFIX = "HH#"

    @classmethod
    def of(cls, state: dict[str, Any]) -> Household:
        """The model of a household's attributes (a dict as :meth:`state` gives it; key attributes ignored)."""
        names = cls.get_attributes()
        return cls(**{k: v for k, v in state.items() if k in names and k not in cls.KEY_ATTRIBUTES})

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.household_id)
        self.GSI1PK, self.GSI1SK = self.village_partition(self.village_code), f"HH#{self.household_id}"
        if self.collected_by:
            self.GSI2PK, self.GSI2SK = f"AM#{self.collected_by}", f"HH#{self.household_id}"


class ResidentIndex(CoreModel):
    """One person, one household: ``RID#<keyed hash of the resident ID>`` / ``RID`` → the household and member
    the person belongs to. Written in the household's transaction, conditioned so that no read decides
    uniqueness (:mod:`chalicelib.customers.data.households`)."""

    kind = UnicodeAttribute(default="resident_index")
    resident_id_hash = UnicodeAttribute()
    household_id = UnicodeAttribute()
    member_id = UnicodeAttribute(null=True)

    @staticmethod
    def key(resident_id_hash: str) -> tuple[str, str]:
        return f"RID#{resident_id_hash}", "RID"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.resident_id_hash)


class HouseholdImage(CoreModel):
    """An image of a household (影像资料): ``HH#<household_id>`` / ``IMG#<image_id>`` (in the household's
    partition). ``kind`` id_card_front | id_card_back | house | land | livestock | signature; ``size`` bytes and
    ``sha256`` as declared; ``status`` pending → uploaded | rejected; ``org_path`` the household's."""

    item_type = UnicodeAttribute(default="household_image")
    image_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    org_path = UnicodeAttribute()
    kind = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = IntegerAttribute()
    sha256 = UnicodeAttribute()
    gps = DocumentAttribute(null=True)
    taken_at = UnicodeAttribute(null=True)
    s3_key = UnicodeAttribute()
    status = UnicodeAttribute()
    rejection = UnicodeAttribute(null=True)
    uploaded_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(household_id: str, image_id: str) -> tuple[str, str]:
        return f"HH#{household_id}", f"IMG#{image_id}"

    @staticmethod
    def prefix(household_id: str) -> tuple[str, str]:
        """The partition and sort-key prefix of a household's images."""
        return f"HH#{household_id}", "IMG#"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.household_id, self.image_id)


class RosterImport(CoreModel):
    """A roster import job (批量导入任务): ``IMPORT#<import_id>`` / ``IMPORT``; GSI1 ``VILLAGEIMPORT#<village_code>``
    / ``<created_at>``. ``status`` awaiting_upload → queued → running → completed | failed; ``requested_by`` (the
    requesting principal, whose scope the asynchronous import acts with); ``progress``, ``counts``, ``errors``
    (the first report lines), ``failure`` {code, message}."""

    kind = UnicodeAttribute(default="roster_import")
    import_id = UnicodeAttribute()
    village_code = UnicodeAttribute()
    org_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    status = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute(null=True)
    s3_key = UnicodeAttribute()
    report_key = UnicodeAttribute()
    requested_by = DocumentAttribute()
    progress = DocumentAttribute(null=True)
    counts = DocumentAttribute(null=True)
    errors = DocumentListAttribute(null=True)
    errors_total = IntegerAttribute(null=True)
    failure = DocumentAttribute(null=True)
    file_size = IntegerAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    version = IntegerAttribute(null=True)

    @staticmethod
    def key(import_id: str) -> tuple[str, str]:
        return f"IMPORT#{import_id}", "IMPORT"

    @staticmethod
    def file_keys(import_id: str, extension: str) -> tuple[str, str]:
        """The object keys of the job's uploaded roster and of its full report."""
        return f"imports/{import_id}/roster.{extension}", f"imports/{import_id}/report.json"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.import_id)
        self.GSI1PK, self.GSI1SK = f"VILLAGEIMPORT#{self.village_code}", self.created_at


class SyncReceipt(CoreModel):
    """The receipt of an applied PAD sync operation: ``SYNC#<user_id>#<op_id>`` / ``SYNC``, written in the same
    transaction as the household, so that a replayed operation is recognised. ``outcome`` created | updated |
    unchanged; ``version`` the household's after the operation."""

    item_type = UnicodeAttribute(default="sync_receipt")
    op_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    household_id = UnicodeAttribute()
    outcome = UnicodeAttribute()
    version = IntegerAttribute()
    device_id = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)

    @staticmethod
    def key(user_id: str, op_id: str) -> tuple[str, str]:
        return f"SYNC#{user_id}#{op_id}", "SYNC"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.user_id, self.op_id)


class AgriEntity(CoreModel):
    """An agricultural entity (新型农业经营主体): ``ENT#<entity_id>`` / ``ENT``; GSI1 ``VILLAGEENT#<village_code>``
    / ``ENT#<entity_id>``. ``household_id`` is the legal representative's household (a farmer sees the entity he
    represents); ``operations``, ``assets``, ``liabilities`` are maps (Decimal amounts)."""

    item_type = UnicodeAttribute(default="agri_entity")
    entity_id = UnicodeAttribute()
    name = UnicodeAttribute()
    uscc = UnicodeAttribute()
    kind = UnicodeAttribute()
    village_code = UnicodeAttribute()
    org_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    household_id = UnicodeAttribute(null=True)
    legal_representative = DocumentAttribute()
    registered_on = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    operations = DocumentAttribute(null=True)
    assets = DocumentAttribute(null=True)
    liabilities = DocumentAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    version = IntegerAttribute()
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(entity_id: str) -> tuple[str, str]:
        return f"ENT#{entity_id}", "ENT"

    @staticmethod
    def village_partition(village_code: str) -> str:
        """The GSI1 partition of a village's entities."""
        return f"VILLAGEENT#{village_code}"

    @classmethod
    def of(cls, state: dict[str, Any]) -> AgriEntity:
        """The model of an entity's attributes (a dict as :meth:`state` gives it)."""
        names = cls.get_attributes()
        return cls(**{k: v for k, v in state.items() if k in names and k not in cls.KEY_ATTRIBUTES})

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.entity_id)
        self.GSI1PK, self.GSI1SK = self.village_partition(self.village_code), f"ENT#{self.entity_id}"


class UsccIndex(CoreModel):
    """USCC uniqueness across the province: ``USCC#<uscc>`` / ``USCC`` → ``entity_id`` (written in the entity's
    transaction, conditioned on absence or the same entity)."""

    uscc = UnicodeAttribute()
    entity_id = UnicodeAttribute()

    @staticmethod
    def key(uscc: str) -> tuple[str, str]:
        return f"USCC#{uscc}", "USCC"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.uscc)
