"""The base of the post-loan item models: built from and read as plain dicts."""
from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.dynamo.models import CoreModel, IntegerAttribute


class PostLoanItem(CoreModel):
    """A post-loan item: built from and read as a plain dict (what the services handle)."""

    RENAMED: ClassVar[dict[str, str]] = {}  # python attribute name → item attribute name

    @classmethod
    def of(cls, values: dict[str, Any]) -> Any:
        """The model of a dict (as :meth:`as_dict` answers it; key attributes are left out, rebuilt by
        :meth:`fill_keys`)."""
        back = {v: k for k, v in cls.RENAMED.items()}
        return cls(**{back.get(k, k): v for k, v in values.items() if k not in cls.KEY_ATTRIBUTES and v is not None})

    def as_dict(self) -> dict[str, Any]:
        """The item's attributes as a plain dict (``None`` left out, no key attributes)."""
        return {self.RENAMED.get(k, k): v for k, v in self.state().items()}


class VersionedItem(PostLoanItem):
    version = IntegerAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
