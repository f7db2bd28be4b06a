"""The item models of the parameter store (chalicelib.platform.parameters), in the parameters table (template.yaml
``ParametersTable``). Imported inside the store's functions, so that pynamodb is loaded with the first read.

- :class:`ParameterHead`: ``PARAM#<name>`` / ``HEAD``: ``latest_version``, the counter of versions, written under a
  condition on the value read, so two concurrent writers never take the same number.
- :class:`ParameterVersion`: ``PARAM#<name>`` / ``V#<effective_from>#<version:06d>``: the JSON document ``value``
  (numbers as Decimal), ``effective_from`` (business date), ``version``, ``created_by``, ``created_at``,
  ``comment``. Versions are never changed or deleted; their sort keys order them by effective date, then number.
"""
from __future__ import annotations

from datetime import date

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.dynamo.models import DocumentAttribute, IntegerAttribute, ParametersTableModel


def _partition(name: str) -> str:
    return f"PARAM#{name}"


class ParameterHead(ParametersTableModel):
    """The counter of one parameter's versions."""

    name = UnicodeAttribute(null=True)  # absent from heads written before the model (they are found by key)
    latest_version = IntegerAttribute()

    @staticmethod
    def key(name: str) -> tuple[str, str]:
        return _partition(name), "HEAD"

    def fill_keys(self) -> None:
        if self.name is None:
            raise ValueError("a parameter head is made with its name")
        self.PK, self.SK = self.key(self.name)


class ParameterVersion(ParametersTableModel):
    """One version of a parameter document."""

    name = UnicodeAttribute()
    version = IntegerAttribute()
    effective_from = UnicodeAttribute()
    value = DocumentAttribute()
    created_by = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    comment = UnicodeAttribute(null=True)

    @staticmethod
    def partition(name: str) -> str:
        """The partition of every version of ``name`` (and its head)."""
        return _partition(name)

    @staticmethod
    def in_force_range(on: date) -> tuple[str, str]:
        """The sort-key range of the versions effective on or before ``on`` (the greatest is in force)."""
        return "V#0000", f"V#{on.isoformat()}#999999"

    @staticmethod
    def prefix() -> str:
        """The sort-key prefix of every version."""
        return "V#"

    def fill_keys(self) -> None:
        self.PK, self.SK = _partition(self.name), f"V#{self.effective_from}#{self.version:06d}"
