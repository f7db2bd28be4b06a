"""The item models of the rating context's ratings and credit lines: ratings (and their detail), master lines and
their sub-lines, the households' line slots and the drawdowns' reservations (the campaign's models:
chalicelib.rating.data.campaign_models).

Each model owns its keys (``key(...)``; :meth:`fill_keys` from its own attributes before every write) and its index
entries, including the expiry index (GSI3 ``EXPIRY#<valid_to>``) that effective ratings and active lines share: the
daily expiry job reads it (:func:`expiry_partition`). No other module builds these keys.

The large aggregates (:class:`Rating`, :class:`CreditLine`, :class:`SubLine`, and the campaign) are still
written as dict items (their attribute sets grow with every campaign step and the loans context moves their amounts
inside its own transactions): for them the model gives the keys and index entries of a dict item
(:meth:`keyed`) and of an update (:meth:`Rating.expiry_index`), and the repositories write through the one
Transaction. The small items are written and read as models. Imported inside the data functions, so pynamodb stays
off the cold start of a function until it touches one of these items.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.dynamo.models import (
    CoreModel,
    MoneyAttribute,
)

_INDEX_ATTRIBUTES = ("GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK")


def expiry_partition(day: str) -> str:
    """The GSI3 partition of the ratings and lines whose validity ends on ``day`` (ISO date)."""
    return f"EXPIRY#{day}"


def keyed_item(item: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    """``item`` with ``keys`` (its key and index attributes; stale index attributes dropped)."""
    out = {k: v for k, v in item.items() if k not in _INDEX_ATTRIBUTES}
    out.update(keys)
    return out


# ================================================================================================ ratings
class Rating(CoreModel):
    """A household's rating in one campaign (``RATING#<rating_id>`` / ``RATING``; attributes in
    chalicelib.rating.data.ratings). GSI1 ``HH#<household_id>#RATING`` / ``<rated_on>#<rating_id>`` (the
    household's ratings), GSI2 ``CAMPAIGN#<campaign_id>#RATING`` / ``<household_id>`` (a campaign's), GSI3
    ``EXPIRY#<valid_to>`` / ``RATING#<rating_id>`` while effective (the expiry queue). Written as a dict item."""

    KIND = "rating"

    @staticmethod
    def key(rating_id: str) -> tuple[str, str]:
        return f"RATING#{rating_id}", "RATING"

    @staticmethod
    def partition(rating_id: str) -> str:
        """The partition of a rating: its main item and its detail (:class:`RatingDetail`)."""
        return f"RATING#{rating_id}"

    @staticmethod
    def household_partition(household_id: str) -> str:
        return f"HH#{household_id}#RATING"

    @staticmethod
    def campaign_partition(campaign_id: str) -> str:
        return f"CAMPAIGN#{campaign_id}#RATING"

    @staticmethod
    def expiry_index(rating_id: str, valid_to: str) -> tuple[str, str]:
        """(GSI3PK, GSI3SK) of an effective rating valid until ``valid_to``."""
        return expiry_partition(valid_to), f"RATING#{rating_id}"

    @classmethod
    def keyed(cls, item: dict[str, Any]) -> dict[str, Any]:
        """The dict item of a rating (``rating_id``, ``household_id``, ``rated_on``, ``campaign_id``, ``status``,
        ``valid_to``) with its keys and index entries (recomputed: stale ones dropped)."""
        pk, sk = cls.key(item["rating_id"])
        keys = {"PK": pk, "SK": sk, "kind": cls.KIND,
                "GSI1PK": cls.household_partition(item["household_id"]),
                "GSI1SK": f"{item['rated_on']}#{item['rating_id']}",
                "GSI2PK": cls.campaign_partition(item["campaign_id"]), "GSI2SK": item["household_id"]}
        if item.get("status") == "effective" and item.get("valid_to"):
            keys["GSI3PK"], keys["GSI3SK"] = cls.expiry_index(item["rating_id"], item["valid_to"])
        return keyed_item(item, keys)


class RatingDetail(CoreModel):
    """The explanation of a rating, written once with it (``RATING#<rating_id>`` / ``DETAIL``): ``rating_id``,
    ``household_id``, ``org_path`` and the :data:`FIELDS`. Written as a dict item with its rating."""

    #: the attributes a detail holds (merged into the whole rating when read)
    FIELDS = ("points", "rating_input", "figures", "village_averages", "challenger_detail")

    @staticmethod
    def key(rating_id: str) -> tuple[str, str]:
        return Rating.partition(rating_id), "DETAIL"

    @classmethod
    def keyed(cls, item: dict[str, Any]) -> dict[str, Any]:
        """The dict item of a detail (``rating_id`` and the :data:`FIELDS`) with its keys."""
        pk, sk = cls.key(item["rating_id"])
        return keyed_item(item, {"PK": pk, "SK": sk, "kind": "rating_detail"})


# ================================================================================================ lines
class CreditLine(CoreModel):
    """A household's master credit line (``LINE#<line_id>`` / ``LINE``; attributes in
    chalicelib.rating.data.credit_lines). GSI1 ``HH#<household_id>#LINE`` / ``<created_on>#<line_id>``, GSI2
    ``CAMPAIGN#<campaign_id>#LINE`` / ``<household_id>``, GSI3 ``EXPIRY#<valid_to>`` / ``LINE#<line_id>`` while
    active. Written as a dict item (the loans context moves ``available`` in its own transactions)."""

    KIND = "credit_line"

    @staticmethod
    def key(line_id: str) -> tuple[str, str]:
        return f"LINE#{line_id}", "LINE"

    @staticmethod
    def partition(line_id: str) -> str:
        """The partition of a line: the master item and its sub-lines."""
        return f"LINE#{line_id}"

    @staticmethod
    def household_partition(household_id: str) -> str:
        return f"HH#{household_id}#LINE"

    @staticmethod
    def campaign_partition(campaign_id: str) -> str:
        return f"CAMPAIGN#{campaign_id}#LINE"

    @staticmethod
    def expiry_index(line_id: str, valid_to: str) -> tuple[str, str]:
        """(GSI3PK, GSI3SK) of an active line valid until ``valid_to``."""
        return expiry_partition(valid_to), f"LINE#{line_id}"

    @staticmethod
    def is_line_entry(gsi3_sort_key: str) -> bool:
        """Whether an expiry-queue entry (its GSI3SK) is a line's."""
        return gsi3_sort_key.startswith("LINE#")

    @classmethod
    def keyed(cls, item: dict[str, Any]) -> dict[str, Any]:
        """The dict item of a master line (``line_id``, ``household_id``, ``created_on``, ``campaign_id``,
        ``status``, ``valid_to``) with its keys and index entries."""
        pk, sk = cls.key(item["line_id"])
        keys = {"PK": pk, "SK": sk, "kind": cls.KIND,
                "GSI1PK": cls.household_partition(item["household_id"]),
                "GSI1SK": f"{item['created_on']}#{item['line_id']}",
                "GSI2PK": cls.campaign_partition(item["campaign_id"]), "GSI2SK": item["household_id"]}
        if item.get("status") == "active" and item.get("valid_to"):
            keys["GSI3PK"], keys["GSI3SK"] = cls.expiry_index(item["line_id"], item["valid_to"])
        return keyed_item(item, keys)


class SubLine(CoreModel):
    """A product sub-line of a master line (``LINE#<line_id>`` / ``SUB#<product_code>``): ``product_code``,
    ``limit``, ``available``, ``household_id``, ``org_path``, ``line_id``. Written as a dict item."""

    @staticmethod
    def key(line_id: str, product_code: str) -> tuple[str, str]:
        return CreditLine.partition(line_id), f"SUB#{product_code}"

    @staticmethod
    def is_sub_line(sort_key: str) -> bool:
        return sort_key.startswith("SUB#")

    @classmethod
    def item(cls, line: dict[str, Any], product_code: str, limit: Any, available: Any) -> dict[str, Any]:
        """The dict item of the ``product_code`` sub-line of ``line`` (keys included)."""
        pk, sk = cls.key(line["line_id"], product_code)
        return {"PK": pk, "SK": sk, "kind": "credit_subline", "line_id": line["line_id"],
                "product_code": product_code, "limit": limit, "available": available,
                "household_id": line["household_id"], "org_path": line["org_path"]}


class LineSlot(CoreModel):
    """The household's one line slot (一户一个授信额度): ``HHLINE#<household_id>`` / ``SLOT``, owned by the line
    ``line_id`` while it is proposed or active (chalicelib.rating.data.credit_lines)."""

    kind = UnicodeAttribute(default="credit_line_slot")
    household_id = UnicodeAttribute()
    line_id = UnicodeAttribute()
    campaign_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    claimed_at = UnicodeAttribute()

    @staticmethod
    def key(household_id: str) -> tuple[str, str]:
        return f"HHLINE#{household_id}", "SLOT"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.household_id)


class LineReservation(CoreModel):
    """A drawdown's reservation on a line (``LINERSV#<line_id>`` / ``DD#<drawdown_id>``): ``amount``,
    ``product_code``, ``status`` (reserved | committed | released), ``loan_id``, timestamps
    (chalicelib.rating.data.line_usage)."""

    kind = UnicodeAttribute(default="line_reservation")
    line_id = UnicodeAttribute()
    drawdown_id = UnicodeAttribute()
    product_code = UnicodeAttribute(null=True)
    amount = MoneyAttribute(null=True)
    status = UnicodeAttribute(null=True)
    loan_id = UnicodeAttribute(null=True)
    reserved_at = UnicodeAttribute(null=True)
    committed_at = UnicodeAttribute(null=True)
    released_at = UnicodeAttribute(null=True)

    @staticmethod
    def key(line_id: str, drawdown_id: str) -> tuple[str, str]:
        return f"LINERSV#{line_id}", f"DD#{drawdown_id}"

    @classmethod
    def of(cls, line_id: str, drawdown_id: str) -> LineReservation:
        """The reservation's item with only its key attributes set (for updates)."""
        return cls(line_id=line_id, drawdown_id=drawdown_id)

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.line_id, self.drawdown_id)
