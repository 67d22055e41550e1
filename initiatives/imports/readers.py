"""Reading a file of initiatives into rows, whatever its format.

CSV (comma or semicolon; UTF-8 with or without BOM, or Windows-1252), XLSX, JSON (a list of
objects), GeoJSON (a FeatureCollection) and the GoGoCarto export (`{"licence", "ontology",
"data": [...]}`) are recognised by their content, not by their name. Every row becomes a dict
of flat keys: nested objects are flattened with dots (`address.postalCode`, `geo.latitude`),
lists are kept as lists. Each row keeps the line (or element) number a curator finds it at.
"""

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# A sheet or a file larger than this is refused rather than loaded into memory.
MAX_ROWS = 200_000


class UnreadableFile(ValueError):
    """The file cannot be read as any format we know: the message says why."""


@dataclass
class Table:
    format: str
    rows: list = field(default_factory=list)  # [(line, {column: value})]
    columns: list = field(default_factory=list)
    licence: str = ""

    @property
    def is_gogocarto(self):
        return self.format == "gogocarto"

    def samples(self, column, count=3):
        """A few non-empty values of a column, for the mapping page."""
        found = []
        for _line, values in self.rows:
            value = values.get(column)
            if value not in (None, "", []):
                found.append(value)
                if len(found) == count:
                    break
        return found

    def distinct(self, column, limit=200):
        """The distinct values of a column (the items of lists), for mapping categories."""
        seen = {}
        for _line, values in self.rows:
            value = values.get(column)
            for item in value if isinstance(value, list) else [value]:
                if item not in (None, "") and str(item) not in seen:
                    seen[str(item)] = item
                    if len(seen) == limit:
                        return list(seen)
        return list(seen)


def read_table(content):
    """A Table from a file's bytes."""
    if content.startswith(b"PK\x03\x04"):
        return read_xlsx(content)
    text = decode(content)
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return read_json(stripped)
    return read_csv(text)


def decode(content):
    """UTF-8 (a BOM is dropped), else Windows-1252, which Excel writes in France."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def read_csv(text):
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [name.strip() for name in next(reader, [])]
        if not any(header):
            raise UnreadableFile(_("The file is empty, or its first line names no column."))
        table = Table("csv", columns=header)
        for values in reader:
            if len(table.rows) >= MAX_ROWS:
                raise UnreadableFile(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
            if not any(value.strip() for value in values):
                continue
            table.rows.append(
                (
                    reader.line_num,
                    {name: value.strip() for name, value in zip(header, values, strict=False)},
                )
            )
    except csv.Error as error:
        raise UnreadableFile(
            _("The file is not a readable CSV: %(error)s") % {"error": error}
        ) from error
    return table


def read_xlsx(content):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnreadableFile(
            _("The file is not a readable XLSX: %(error)s") % {"error": error}
        ) from error
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(name).strip() if name is not None else "" for name in next(rows, ())]
    if not any(header):
        raise UnreadableFile(_("The first sheet is empty, or its first row names no column."))
    table = Table("xlsx", columns=header)
    for number, values in enumerate(rows, start=2):
        if len(table.rows) >= MAX_ROWS:
            raise UnreadableFile(_("The sheet has more than %(max)d rows.") % {"max": MAX_ROWS})
        if not any(value not in (None, "") for value in values):
            continue
        table.rows.append(
            (
                number,
                {
                    name: value.strip() if isinstance(value, str) else value
                    for name, value in zip(header, values, strict=False)
                    if name
                },
            )
        )
    workbook.close()
    return table


def read_json(text):
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        # RecursionError: arrays nested deeper than Python's stack.
        raise UnreadableFile(
            _("The file is not readable JSON: %(error)s") % {"error": error}
        ) from error
    if isinstance(data, dict) and isinstance(data.get("data"), list) and "ontology" in data:
        table = Table("gogocarto", licence=str(data.get("licence", "")))
        items = data["data"]
    elif isinstance(data, dict) and data.get("type") == "FeatureCollection":
        table = Table("geojson")
        features = data.get("features") or []
        if not isinstance(features, list):
            raise UnreadableFile(_("A FeatureCollection's “features” must be a list."))
        items = [feature_row(number, feature) for number, feature in enumerate(features, 1)]
    elif isinstance(data, list):
        table = Table("json")
        items = data
    else:
        raise UnreadableFile(
            _(
                "A JSON file must hold a list of objects, a GeoJSON FeatureCollection or a "
                "GoGoCarto export."
            )  # fmt: skip
        )
    if len(items) > MAX_ROWS:
        raise UnreadableFile(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    columns = {}
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise UnreadableFile(_("Element %(number)d is not an object.") % {"number": number})
        values = flatten(item)
        columns.update(dict.fromkeys(values))
        table.rows.append((number, values))
    table.columns = list(columns)
    return table


def feature_row(number, feature):
    """A GeoJSON feature's properties, with a Point's coordinates as geometry.longitude and
    geometry.latitude."""
    if not isinstance(feature, dict):
        feature = {"properties": "not an object"}
    row = feature.get("properties") or {}
    geometry = feature.get("geometry") or {}
    if not isinstance(row, dict) or not isinstance(geometry, dict):
        raise UnreadableFile(
            _("Feature %(number)d is not an object with “properties” and “geometry” objects.")
            % {"number": number}
        )
    row = dict(row)
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "Point" and isinstance(coordinates, list) and len(coordinates) >= 2:
        row["geometry"] = {
            "longitude": geometry["coordinates"][0],
            "latitude": geometry["coordinates"][1],
        }
    if feature.get("id") is not None:
        row.setdefault("id", feature["id"])
    return row


def flatten(item, prefix=""):
    flat = {}
    for key, value in item.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat
