"""The item models of the admin context: organisations, village assignments, daily-job runs and their parts.

Each model owns its keys (``key(...)``, and :meth:`fill_keys` from its own attributes before every write) and its
index entries; no other module builds them. Imported where a model is used (inside the data functions), so that
pynamodb stays off the cold start of a function until it reads or writes one of these items.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from pynamodb.attributes import BinaryAttribute, UnicodeAttribute

from chalicelib.platform.dynamo.models import CoreModel, DocumentAttribute, IntegerAttribute

LEVELS = ("province", "institution", "branch", "outlet")


class Organisation(CoreModel):
    """An organisation of the tree: ``ORG#<org_id>`` / ``ORG``; GSI1 ``ORGCHILD#<parent_id>`` / ``<org_id>`` (the
    children of an organisation; the province root has no parent and no GSI1 entry).

    ``org_path`` is the materialised path (``/JL/JL-220122/<branch>/<outlet>/``) that every aggregate item carries for
    scope checks (chalicelib.platform.access). Organisations are written by the seed and never changed by the API:
    ``version`` stays 1."""

    kind = UnicodeAttribute(default="org")
    org_id = UnicodeAttribute()
    name = UnicodeAttribute()
    level = UnicodeAttribute()  # one of LEVELS
    parent_id = UnicodeAttribute(null=True)
    org_path = UnicodeAttribute()
    county_code = UnicodeAttribute(null=True)
    version = IntegerAttribute(default=1)

    @staticmethod
    def key(org_id: str) -> tuple[str, str]:
        return f"ORG#{org_id}", "ORG"

    @staticmethod
    def children_partition(parent_id: str) -> str:
        """The GSI1 partition of an organisation's children."""
        return f"ORGCHILD#{parent_id}"

    @classmethod
    def under(cls, parent: Organisation | None, *, org_id: str, name: str, level: str,
              county_code: str | None = None) -> Organisation:
        """A new organisation below ``parent`` (``None``: the province union, the root)."""
        if level not in LEVELS:
            raise ValueError(f"unknown organisation level {level}")
        path = (parent.org_path if parent else "/") + f"{org_id}/"
        return cls(org_id=org_id, name=name, level=level, parent_id=parent.org_id if parent else None, org_path=path,
                   county_code=county_code)

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.org_id)
        if self.parent_id:
            self.GSI1PK, self.GSI1SK = self.children_partition(self.parent_id), self.org_id


class VillageAssignment(CoreModel):
    """A village (12-digit statistical division code) served by an organisation (its outlet):
    ``VILLAGE#<code>`` / ``VILLAGE``; GSI1 ``ORGVILLAGE#<institution_id>`` / ``<code>`` (an institution's villages).
    The names are the NBS division list's (chalicelib.reference.divisions)."""

    kind = UnicodeAttribute(default="village")
    village_code = UnicodeAttribute()
    village_name = UnicodeAttribute()
    township_code = UnicodeAttribute()
    township_name = UnicodeAttribute()
    county_code = UnicodeAttribute()
    county_name = UnicodeAttribute()
    org_id = UnicodeAttribute()
    org_path = UnicodeAttribute()

    @staticmethod
    def key(village_code: str) -> tuple[str, str]:
        return f"VILLAGE#{village_code}", "VILLAGE"

    @staticmethod
    def institution_partition(institution_id: str) -> str:
        """The GSI1 partition of the villages served within one institution."""
        return f"ORGVILLAGE#{institution_id}"

    @classmethod
    def of(cls, village: Any, org: Organisation) -> VillageAssignment:
        """The assignment of ``village`` (a ``chalicelib.reference.divisions.Village``) to ``org``."""
        return cls(village_code=village.code, village_name=village.name, township_code=village.township_code,
                   township_name=village.township_name, county_code=village.county_code,
                   county_name=village.county_name, org_id=org.org_id, org_path=org.org_path)

    @property
    def institution_id(self) -> str:
        """The institution of the serving organisation (the second element of its path)."""
        return self.org_path.strip("/").split("/")[1]

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.village_code)
        self.GSI1PK, self.GSI1SK = self.institution_partition(self.institution_id), self.village_code


class JobRun(CoreModel):
    """The run of a daily job for one business date: ``JOBRUN#<job>`` / ``<business_date>``.

    ``status`` running | completed; ``checkpoint`` (the job's cursor: phase, unit, page cursor, counters);
    ``attempts``; ``lease_owner``/``lease_until`` (epoch seconds: one invocation works on a date at a time; a crashed
    invocation's lease runs out); ``last_error``, ``started_at``, ``updated_at``, ``completed_at``, ``result``."""

    job = UnicodeAttribute()
    business_date = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    checkpoint = DocumentAttribute(null=True)
    attempts = IntegerAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = IntegerAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    started_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    result = DocumentAttribute(null=True)

    @staticmethod
    def key(job: str, day: date | str) -> tuple[str, str]:
        return f"JOBRUN#{job}", str(day)

    @classmethod
    def of(cls, job: str, day: date) -> JobRun:
        """The run's item with only its key attributes set (for updates)."""
        run = cls(job=job, business_date=day.isoformat())
        run.fill_keys()
        return run

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.job, self.business_date)


class JobRunPart(CoreModel):
    """A partial result a run keeps between invocations (e.g. per-shard aggregates), zlib-compressed JSON:
    ``JOBRUN#<job>`` / ``<business_date>#PART#<name>``."""

    job = UnicodeAttribute()
    business_date = UnicodeAttribute()
    name = UnicodeAttribute()
    data = BinaryAttribute(legacy_encoding=False)

    @staticmethod
    def key(job: str, day: date | str, name: str) -> tuple[str, str]:
        return f"JOBRUN#{job}", f"{day}#PART#{name}"

    @staticmethod
    def prefix(job: str, day: date | str) -> tuple[str, str]:
        """The partition and sort-key prefix of every part of one run."""
        return f"JOBRUN#{job}", f"{day}#PART#"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.job, self.business_date, self.name)
