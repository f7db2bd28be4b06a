"""pynamodb base of the item models: one Model per aggregate item shape, owning its keys, indexes and attributes.

The tables are defined in template.yaml; the bases here mirror them (``tests/unit/test_model_parity.py`` checks
every model's table, key schema and indexes against the template):

* :class:`CoreModel`: the single table (``PK``/``SK``, sparse ``GSI1``..``GSI3`` with ``GSInPK``/``GSInSK``, all
  projecting ALL attributes);
* :class:`AuditTableModel`: the audit table (``PK``/``SK``, ``GSI1``);
* :class:`ParametersTableModel`: the parameters table (``PK``/``SK``).

A model builds its keys itself: ``PK``/``SK`` and the index attributes are filled by :meth:`ItemModel.fill_keys`
from the model's own attributes before every write (the Transaction and :meth:`ItemModel.put` call it), and a
classmethod ``key(...)`` gives the key of an item to read. No key string is built outside its model.

Table names come from the settings at first use, never at import: ``Meta.table_name`` is a property of the Meta
class (:class:`BoundTable`), read when pynamodb first builds the model's connection. The connection uses the
process's one DynamoDB client (``chalicelib.platform.aws.dynamodb``), not a second client of pynamodb's own.

Numbers: :class:`MoneyAttribute` keeps ``Decimal`` (pynamodb's ``NumberAttribute`` refuses Decimal and reads
floats), :class:`IntegerAttribute` keeps ``int``, and :class:`DocumentAttribute` / :class:`DocumentListAttribute`
hold nested maps and lists through boto3's TypeSerializer/TypeDeserializer, so a number in a document stays a
``Decimal`` (an integral one an ``int``, as the dict-based items read them). A float is refused everywhere.
"""
from __future__ import annotations

from decimal import Decimal, DecimalException
from typing import Any, ClassVar, TypeVar

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import LIST, MAP, NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.platform.dynamo.items import clean, ints, not_storable

M = TypeVar("M", bound="ItemModel")


class BoundTable(type):
    """Metaclass of a model's ``Meta``: ``table_name`` is the settings field named by ``Meta.setting``, read when
    pynamodb asks for it (the first request), not when the model is imported."""

    setting: str

    @property
    def table_name(cls) -> str:
        from chalicelib.platform.settings import get_settings

        return str(getattr(get_settings(), cls.setting))


# ------------------------------------------------------------------------------------------------ attributes
def _codec() -> tuple[Any, Any]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


class MoneyAttribute(Attribute[Decimal]):
    """A ``Decimal`` number (money, rates, measures): stored as DynamoDB's number string, read back as ``Decimal``.
    A float (or bool) is refused with ``TypeError``; a Decimal DynamoDB cannot hold (more than 38 significant
    digits, magnitude outside 1E-130 .. 9.99E+125) raises 422 ``VALUE_NOT_STORABLE``."""

    attr_type = NUMBER

    def serialize(self, value: Any) -> str:
        if not isinstance(value, (Decimal, int)) or isinstance(value, bool):
            raise TypeError(f"{self.attr_name}: money and measures are Decimal, not {type(value).__name__}")
        ser, _ = _codec()
        try:
            return str(ser.serialize(Decimal(value))["N"])
        except DecimalException as exc:
            raise not_storable(f"number the store cannot hold ({type(exc).__name__})") from None

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class IntegerAttribute(NumberAttribute):
    """An ``int`` (counters, sequence numbers); anything else is refused with ``TypeError``."""

    def serialize(self, value: Any) -> str:
        if type(value) is not int:
            raise TypeError(f"{self.attr_name}: an integer is required, not {type(value).__name__}")
        return str(value)

    def deserialize(self, value: str) -> int:
        return int(Decimal(value))


class DocumentAttribute(Attribute[dict[str, Any]]):
    """A nested map (JSON-like: str, int, Decimal, bool, lists, maps), through boto3's TypeSerializer, so numbers
    stay ``Decimal`` (integral ones ``int``) and never pass through float. ``None`` values inside are dropped, as
    the dict-based items drop them."""

    attr_type = MAP

    def serialize(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise TypeError(f"{self.attr_name}: a document is a dict, not {type(value).__name__}")
        ser, _ = _codec()
        try:
            return dict(ser.serialize(clean(value))["M"])
        except DecimalException as exc:
            raise not_storable(f"number the store cannot hold ({type(exc).__name__})") from None

    def deserialize(self, value: dict[str, Any]) -> dict[str, Any]:
        _, de = _codec()
        return dict(ints(de.deserialize({"M": value})))


class DocumentListAttribute(Attribute[list[Any]]):
    """A list of JSON-like values (see :class:`DocumentAttribute`)."""

    attr_type = LIST

    def serialize(self, value: Any) -> list[Any]:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{self.attr_name}: a document list is a list, not {type(value).__name__}")
        ser, _ = _codec()
        try:
            return list(ser.serialize(clean(list(value)))["L"])
        except DecimalException as exc:
            raise not_storable(f"number the store cannot hold ({type(exc).__name__})") from None

    def deserialize(self, value: list[Any]) -> list[Any]:
        _, de = _codec()
        return list(ints(de.deserialize({"L": value})))


# ------------------------------------------------------------------------------------------------ models
class ItemModel(Model):
    """Base of every item model (abstract: the table bases below bind a table).

    Subclasses implement :meth:`fill_keys` (set ``PK``/``SK`` and their index attributes from their own
    attributes) and a ``key(...)`` classmethod. ``KEY_ATTRIBUTES`` are the table's and indexes' key attributes:
    they are never part of :meth:`state` (what an audit record shows)."""

    KEY_ATTRIBUTES: ClassVar[frozenset[str]] = frozenset({"PK", "SK"})

    class Meta(metaclass=BoundTable):
        setting = "core_table"

    def fill_keys(self) -> None:
        """Set the key attributes from the item's own attributes (called before every write)."""
        raise NotImplementedError(f"{type(self).__name__} builds no keys")

    @classmethod
    def _get_connection(cls) -> Any:
        connection = super()._get_connection()
        inner = connection.connection
        if inner._client is None:  # pynamodb would create a second botocore client: hand it the process's one
            from chalicelib.platform import aws

            inner._client = aws.dynamodb()
        return connection

    @classmethod
    def find(cls: type[M], hash_key: str, range_key: str, *, consistent: bool = True) -> M | None:
        """The item with this key, or ``None`` (one GetItem, strongly consistent by default)."""
        try:
            return cls.get(hash_key, range_key, consistent_read=consistent)
        except cls.DoesNotExist:
            return None

    @classmethod
    def from_wire(cls: type[M], item: dict[str, Any]) -> M:
        """A model from a DynamoDB wire item (a query page, a batch get)."""
        return cls.from_raw_data(item)

    def to_wire(self) -> dict[str, Any]:
        """The DynamoDB wire item of this model, keys filled."""
        self.fill_keys()
        return dict(self.serialize())

    def state(self) -> dict[str, Any]:
        """The item's attributes as plain values (``None`` left out), without key attributes: what an audit
        record keeps as ``before``/``after`` and what an API answer is built from."""
        out: dict[str, Any] = {}
        for name in self.get_attributes():
            if name in self.KEY_ATTRIBUTES:
                continue
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def put(self) -> None:
        """Write this item unconditionally (no audit record): seeding and derived read models only; a change
        of an aggregate goes through a :class:`chalicelib.platform.dynamo.tx.Transaction`."""
        self.fill_keys()
        self.save()


class _GSI1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class _GSI2(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class _GSI3(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    GSI3PK = UnicodeAttribute(hash_key=True)
    GSI3SK = UnicodeAttribute(range_key=True)


class CoreModel(ItemModel):
    """An item of the single core table (template.yaml ``CoreTable``)."""

    KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK"})

    class Meta(metaclass=BoundTable):
        setting = "core_table"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    gsi1 = _GSI1()
    gsi2 = _GSI2()
    gsi3 = _GSI3()


class _AuditGSI1(GlobalSecondaryIndex[Any]):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class AuditTableModel(ItemModel):
    """An item of the audit table (template.yaml ``AuditTable``)."""

    KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK"})

    class Meta(metaclass=BoundTable):
        setting = "audit_table"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    gsi1 = _AuditGSI1()


class ParametersTableModel(ItemModel):
    """An item of the parameters table (template.yaml ``ParametersTable``)."""

    class Meta(metaclass=BoundTable):
        setting = "parameters_table"

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)


#: the table bases and the template's table each binds (the parity test reads this)
TABLES: dict[type[ItemModel], str] = {CoreModel: "CoreTable", AuditTableModel: "AuditTable",
                                      ParametersTableModel: "ParametersTable"}
