"""Village roster files (花名册 / 农户信息采集表): CSV or XLSX with Chinese column headers → household
inputs with a per-row report. Pure domain code (reads bytes, no I/O).

The template (columns, value words, units) is documented in ``docs/roster_template.md``; an example is
``docs/examples/roster_220122102202.csv``. One household is one group of adjacent rows:

* with a ``户编号`` column, the rows with the same number. A member row (relation other than 户主) whose
  number is blank continues the household of the row above (the usual 花名册 layout writes the number
  once per household); in an XLSX file a cell merged down several rows counts for each of them (so a
  merged ``户编号`` gives every row of the range the number). A head row needs its own number
  (``ROSTER_HEAD_WITHOUT_NUMBER``); a blank number with no household above, or below a row that was
  refused, is ``ROSTER_NO_HOUSEHOLD``; a number whose rows are not adjacent (another household in
  between) refuses that whole household (``ROSTER_HOUSEHOLD_NOT_CONTIGUOUS``): two groups that share a
  number are more often two households numbered twice than one household split;
* without that column, a ``户主`` row followed by its members' rows (``ROSTER_NO_HEAD`` for member rows
  before any head).

Household-level columns (assets, income, ...) may be filled on any row of the group, normally the head's.
Every data row ends up either in a household (written or refused as a whole) or with a report line of
its own: no row is dropped silently.

Row numbers are those a spreadsheet shows (the header row is usually 1). Report entries never quote
a cell value (cells hold personal data): ``{row, field, code, message}`` where ``field`` is the
column header as written in the file.

Codes of this module (the household rules add those of ``chalicelib.customers.domain.households``, including
``TEXT_INVISIBLE_CHARACTER`` for control and invisible characters in names and other text):
``ROSTER_FORMAT`` (not CSV/XLSX, unreadable, no header row), ``ROSTER_EMPTY``, ``ROSTER_TOO_LARGE``,
``ROSTER_MISSING_COLUMN``, ``ROSTER_NO_HEAD``, ``ROSTER_NO_HOUSEHOLD``, ``ROSTER_HEAD_WITHOUT_NUMBER``,
``ROSTER_HOUSEHOLD_NOT_CONTIGUOUS``, ``ROSTER_CONFLICTING_VALUE`` (two rows of one household disagree
on a household field), ``VALUE_UNKNOWN`` (a word the column does not know), ``NUMBER_FORMAT`` (not a
plain decimal number), ``AMOUNT_FORMAT`` (money in scientific notation such as ``1e5``, or absurdly
large), ``AMOUNT_PRECISION`` (money with more than two decimals after unit conversion: refused, never
rounded), ``AMOUNT_NEGATIVE`` (a negative asset, debt or expense; net incomes may be negative),
``DATE_FORMAT``, ``ID_STORED_AS_NUMBER`` (an ID number that went through a numeric spreadsheet cell
and lost its last digits: see :func:`chalicelib.customers.domain.roster_cells.ids_mangled_by_excel`), ``ROSTER_VILLAGE_MISMATCH``,
``MEMBER_DUPLICATE_IN_FILE``.
"""
from __future__ import annotations

from typing import Any

from chalicelib.customers.domain.roster_cells import INVALID, CellError, convert, ids_mangled_by_excel
from chalicelib.customers.domain.roster_columns import (
    COLUMNS,
    PATHS,
    Column,
    ParsedRoster,
    RosterFormatError,
    RosterHousehold,
    RowError,
    header_key,
    new_counts,
    norm_text,
)
from chalicelib.customers.domain.roster_files import MAX_BYTES, MAX_ROWS, read_rows

__all__ = ["MAX_BYTES", "MAX_ROWS", "ParsedRoster", "RosterFormatError", "RosterHousehold", "RowError", "new_counts",
           "parse", "pydantic_errors", "read_rows", "report_errors"]


def parse(data: bytes, filename: str, *, village_code: str) -> ParsedRoster:
    """Read a roster and group it into households (payloads for ``HouseholdIn`` with
    ``data_source`` set by the caller). Cell-level problems are reported per row; the household rules
    (ID check digits, one head, ...) are applied later by ``chalicelib.customers.domain.households.normalise``.
    Raises :class:`RosterFormatError` when the file as a whole is unusable."""
    rows = read_rows(data, filename)
    if not rows:
        raise RosterFormatError("ROSTER_EMPTY", "文件没有内容 (the file is empty)")
    header_at, columns = _find_header(rows)
    missing = [c.names[0] for c in COLUMNS if c.required and c.key not in {col.key for col, _, _ in columns.values()}]
    if missing:
        raise RosterFormatError("ROSTER_MISSING_COLUMN", f"缺少必需的列: {', '.join(missing)} (missing columns)")
    headers = {col.key: header for col, _, header in columns.values()}
    body = [(n, cells) for n, cells in rows if n > header_at]
    if not body:
        raise RosterFormatError("ROSTER_EMPTY", "没有数据行 (no data rows)")

    errors: list[RowError] = []
    cell_errors: dict[int, list[RowError]] = {}
    records: list[tuple[int, dict[str, Any]]] = []
    for n, cells in body:
        values: dict[str, Any] = {}
        for idx, (col, unit, header) in columns.items():
            raw = cells[idx] if idx < len(cells) else None
            try:
                value = convert(col, unit, raw)
            except CellError as exc:
                cell_errors.setdefault(n, []).append(RowError(n, header, exc.code, exc.message))
                values[col.key] = INVALID
                continue
            if value is not None:
                values[col.key] = value
        records.append((n, values))

    ids_mangled_by_excel(records, headers, cell_errors)
    groups, group_errors = _group(records, headers, errors)
    grouped = {n for g in groups for n, _ in g}
    unassigned = [n for n, _ in records if n not in grouped]
    for n in unassigned:  # rows that belong to no household keep their cell errors in the file-level list
        errors.extend(cell_errors.get(n, []))
    households = [_build(rows_, headers, village_code, cell_errors) for rows_ in groups]
    for hh in households:
        hh.errors.extend(group_errors.get(hh.first_row, []))
    _duplicates_across(households, headers)
    return ParsedRoster(households=households, errors=errors, data_rows=len(body), headers=headers,
                        unassigned_rows=unassigned)


def _find_header(rows: list[tuple[int, list[Any]]]) -> tuple[int, dict[int, tuple[Column, str, str]]]:
    for n, cells in rows[:10]:
        found: dict[int, tuple[Column, str, str]] = {}
        for i, cell in enumerate(cells):
            col, unit = header_key(cell)
            if col is not None and col.key not in {c.key for c, _, _ in found.values()}:
                found[i] = (col, unit, norm_text(cell))
        if len(found) >= 3:
            return n, found
    raise RosterFormatError("ROSTER_FORMAT", "找不到表头行 (no header row with known column names in the first 10 rows)")


def _group(records: list[tuple[int, dict[str, Any]]], headers: dict[str, str], errors: list[RowError]
           ) -> tuple[list[list[tuple[int, dict[str, Any]]]], dict[int, list[RowError]]]:
    """Rows → households (the layout rules of the module docstring). Returns the groups and the
    group-level report lines by the group's first row; lines of rows that join no group go to ``errors``."""
    if "household_no" in headers:
        return _group_by_number(records, headers["household_no"], errors)
    groups: list[list[tuple[int, dict[str, Any]]]] = []
    for n, values in records:
        if values.get("relation") == "head" or (values.get("relation") is INVALID and not groups):
            groups.append([(n, values)])
        elif groups:
            groups[-1].append((n, values))
        else:
            errors.append(RowError(n, headers.get("relation", "与户主关系"), "ROSTER_NO_HEAD",
                                   "户主行之前出现了成员行 (a member row before any head row)"))
    return groups, {}


def _group_by_number(records: list[tuple[int, dict[str, Any]]], header: str, errors: list[RowError]
                     ) -> tuple[list[list[tuple[int, dict[str, Any]]]], dict[int, list[RowError]]]:
    by_no: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    split: dict[str, list[RowError]] = {}
    above: str | None = None  # the household number of the row above
    refused_above: int | None = None  # or the row above was refused (its row number)
    for n, values in records:
        no = values.get("household_no")
        if not no:
            if values.get("relation") == "head":
                errors.append(RowError(n, header, "ROSTER_HEAD_WITHOUT_NUMBER",
                                       "户主行必须填写户编号 (a head row needs its own household number)"))
                above, refused_above = None, n
                continue
            if above is None:
                where = (f"上一行 (第 {refused_above} 行) 已被拒绝 (the row above was refused)" if refused_above
                         else "上方没有可接续的户 (no household above to continue)")
                errors.append(RowError(n, header, "ROSTER_NO_HOUSEHOLD", f"户编号为空，且{where}"))
                refused_above = refused_above or n
                continue
            no = above
        no = str(no)
        if no in by_no and no != above:
            first = by_no[no][0][0]
            split.setdefault(no, []).append(RowError(
                n, header, "ROSTER_HOUSEHOLD_NOT_CONTIGUOUS",
                f"与第 {first} 行是同一户编号，但中间隔着其他户；同一户的行须相邻，请检查是否重号 "
                "(rows of one household number must be adjacent: renumber or move them)"))
        by_no.setdefault(no, []).append((n, values))
        above, refused_above = no, None
    group_errors = {g[0][0]: split[no] for no, g in by_no.items() if no in split}
    return list(by_no.values()), group_errors


def _build(rows: list[tuple[int, dict[str, Any]]], headers: dict[str, str], village_code: str,
           cell_errors: dict[int, list[RowError]]) -> RosterHousehold:
    hh = RosterHousehold(rows=[n for n, _ in rows], payload={})
    hh.locations["members"] = (rows[0][0], headers.get("relation", "与户主关系"))
    rows = sorted(rows, key=lambda r: r[1].get("relation") != "head")  # head's household values win
    members: list[dict[str, Any]] = []
    household: dict[str, Any] = {}
    for n, values in rows:
        member: dict[str, Any] = {}
        i = len(members)
        hh.locations[f"members[{i}]"] = (n, headers.get("name", "姓名"))
        for key, value in values.items():
            col = next(c for c in COLUMNS if c.key == key)
            if value is INVALID:
                continue
            if key == "household_no":  # the same on every row of the group (it is what groups them)
                household.setdefault("household_no", value)
                hh.locations.setdefault("household_no", (n, headers[key]))
                continue
            if col.household:
                path = PATHS[key]
                if path in household and household[path] != value:
                    hh.errors.append(RowError(n, headers[key], "ROSTER_CONFLICTING_VALUE",
                                              "同一户的两行填写了不同的户级数据 (rows of one household disagree)"))
                    continue
                household.setdefault(path, value)
                hh.locations.setdefault(path, (n, headers[key]))
            else:
                member[key] = value
                hh.locations[f"members[{i}].{key}"] = (n, headers[key])
        members.append(member)
    for n in hh.rows:
        hh.errors.extend(cell_errors.get(n, []))
    code = household.pop("village_code", None)
    if code is not None and code != village_code:
        at = hh.locations.get("village_code", (hh.first_row, "村代码"))
        hh.errors.append(RowError(at[0], at[1], "ROSTER_VILLAGE_MISMATCH",
                                  "村代码与导入的村不一致 (village code differs from the import's village)"))
    payload: dict[str, Any] = {"village_code": village_code, "members": members}
    for path, value in household.items():
        _set(payload, path, value)
    hh.payload = payload
    return hh


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for p in parts[:-1]:
        doc = doc.setdefault(p, {})
    doc[parts[-1]] = value


def _duplicates_across(households: list[RosterHousehold], headers: dict[str, str]) -> None:
    """The same resident ID in two households of one file: the later household is refused."""
    seen: dict[str, int] = {}
    for hh in households:
        ids = []
        for i, m in enumerate(hh.payload.get("members", [])):
            rid = m.get("resident_id")
            if isinstance(rid, str):
                ids.append((i, rid.upper()))
        clash = [(i, rid) for i, rid in ids if rid in seen]
        for i, rid in clash:
            row, header = hh.locate(f"members[{i}].resident_id")
            hh.errors.append(RowError(row, header, "MEMBER_DUPLICATE_IN_FILE",
                                      f"此身份证号已在第 {seen[rid]} 行出现 "
                                      "(the same resident ID appears in another household of this file)"))
        if not clash:
            for i, rid in ids:
                seen.setdefault(rid, hh.locate(f"members[{i}].resident_id")[0])


def report_errors(hh: RosterHousehold, field_errors: list[Any]) -> list[RowError]:
    """Map household-rule field errors (``members[1].resident_id`` ...) to report lines of this household."""
    out = []
    for fe in field_errors:
        row, header = hh.locate(fe.field)
        out.append(RowError(row, header, fe.code, fe.message))
    return out


def pydantic_errors(hh: RosterHousehold, exc: Any) -> list[RowError]:
    """Map a pydantic ``ValidationError`` of ``HouseholdIn`` to report lines (no input values; codes as the
    API gives them, ``chalicelib.platform.errors.pydantic_error_code``)."""
    from chalicelib.platform.errors import pydantic_error_code

    out = []
    for e in exc.errors():
        path = ""
        for part in e["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        row, header = hh.locate(path)
        out.append(RowError(row, header, pydantic_error_code(e["type"]), e["msg"]))
    return out
