"""The OpenAPI 3.1 description of the open-data API, and the /api/ page's endpoints, from one
source: the filters' parameters are read from InitiativeFilter's form, so a filter added there
is documented (or the description fails to build, which a test catches)."""

from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import exports
from .filters import InitiativeFilter
from .map import MAX_ZOOM, MapQueryForm

# What each filter parameter does, and an example of its value.
FILTER_DOCS = {
    "q": (
        gettext_lazy("Words searched in the names, texts, places, actors and themes."),
        "recyclerie",
    ),
    "theme": (
        gettext_lazy(
            "A theme's slug; its sub-themes are included. Repeat for several (any of them)."
        ),
        "alimentation-agriculture",
    ),
    "territory": (
        gettext_lazy("A territory's slug: the initiatives located in it, at any depth."),
        "hauts-de-france",
    ),
    "stage": (gettext_lazy("A stage. Repeat for several."), "consolidation"),
    "legal_form": (gettext_lazy("A legal form. Repeat for several."), "scic"),
    "role": (
        gettext_lazy(
            "With actor: the actor in this role only. Alone: initiatives having such an actor."
        ),
        "funder",
    ),
    "actor": (gettext_lazy("An actor's slug: the initiatives it is involved in."), "avise"),
    "year_min": (gettext_lazy("Started this year or later."), "2015"),
    "year_max": (gettext_lazy("Started this year or earlier."), "2020"),
    "located": (gettext_lazy("true: with a point on the map; false: without."), "true"),
    "sort": (gettext_lazy("The order of the results; a search sorts by relevance."), "newest"),
    "framework": (
        gettext_lazy("An evaluation grid's slug: initiatives with a published assessment on it."),
        "marqueurs-godin",
    ),
    "dimension": (
        gettext_lazy("A grid's dimension, “grid.code”, with dimension_min."),
        "marqueurs-godin.PRO",
    ),
    "dimension_min": (
        gettext_lazy("The least score on that dimension, in its latest published assessment."),
        "2",
    ),
}


def description(request):
    """The OpenAPI document, with this site as its server."""
    filters = filter_parameters()
    # The filters are described once, and each endpoint refers to them.
    filter_references = [
        {"$ref": f"#/components/parameters/{parameter['name']}"} for parameter in filters
    ]
    error = {"$ref": "#/components/responses/BadRequest"}
    not_modified = {"description": _("Unchanged since the copy whose ETag was sent.")}

    def export_path(summary, detail, media_type, schema, extra_parameters=()):
        return {
            "get": {
                "summary": summary,
                "description": detail,
                "parameters": [*filter_references, *extra_parameters],
                "responses": {
                    "200": {"description": summary, "content": {media_type: {"schema": schema}}},
                    "304": not_modified,
                    "400": error,
                },
            }
        }

    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    json_page = export_path(
        _("Initiatives, page by page, in JSON"),
        _(
            "Pages of %(size)s initiatives (page_size up to %(limit)s); next and previous link the "
            "neighbouring pages."
        )
        % {"size": exports.PAGE_SIZE, "limit": exports.PAGE_SIZE_LIMIT},  # fmt: skip
        "application/json",
        {"$ref": "#/components/schemas/Page"},
        [
            query_parameter("page", {"type": "integer", "minimum": 1}, _("Page number."), "2"),
            query_parameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": exports.PAGE_SIZE_LIMIT},
                _("Initiatives per page."),
                "50",
            ),
        ],
    )
    json_page["get"]["responses"]["404"] = {
        "description": _("A page past the last."),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    map_parameters = [
        query_parameter(
            "bbox",
            {"type": "string"},
            MapQueryForm.base_fields["bbox"].help_text,
            "1.5,49.9,3.2,51.1",
            required=True,
        ),
        query_parameter(
            "zoom",
            {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
            _("Map zoom."),
            "8",
            required=True,
        ),  # fmt: skip
    ]
    map_path = export_path(
        _("The map's clusters"),
        _(
            "What the map shows in a box at a zoom: clusters with their count and bounds, and "
            "single initiatives. Up to zoom 9, the answer covers the whole squares of the "
            "zoom-9 grid (about 18 km) that the box touches; `total` counts the initiatives "
            "covered, `outside` the others."
        ),  # fmt: skip
        exports.GEOJSON,
        {"type": "object"},
        map_parameters,
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": _("%(name)s open data") % {"name": settings.SITE_NAME},
            "version": "1",
            "description": _(
                "The published initiatives of the directory, under the %(licence)s licence "
                "(%(url)s). Every endpoint takes the filters of the list of initiatives."
            )
            % {
                "licence": settings.DATA_LICENCE_NAME,
                "url": settings.DATA_LICENCE_URL,
            },  # fmt: skip
            "license": {
                "name": settings.DATA_LICENCE_NAME,
                "url": settings.DATA_LICENCE_URL,
            },
        },
        "servers": [{"url": request.build_absolute_uri("/").rstrip("/")}],
        "paths": {
            reverse("initiatives_csv"): export_path(
                _("Initiatives as CSV"),
                _(
                    "One row per initiative, UTF-8 with a byte order mark, comma-separated; text "
                    "starting with = + - @ begins with an apostrophe."
                ),  # fmt: skip
                "text/csv",
                {"type": "string"},
            ),
            reverse("initiatives_xlsx"): export_path(
                _("Initiatives as a spreadsheet (XLSX)"),
                _(
                    "The same columns as the CSV, and a sheet on the licence, the source and the "
                    "columns."
                ),  # fmt: skip
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                binary,
            ),
            reverse("initiatives_json"): json_page,
            reverse("initiatives_geojson"): export_path(
                _("Initiatives with a point, as GeoJSON"),
                _(
                    "A FeatureCollection (RFC 7946) for GIS software; the properties are the "
                    "CSV's columns."
                ),  # fmt: skip
                exports.GEOJSON,
                {"$ref": "#/components/schemas/FeatureCollection"},
            ),
            reverse("initiatives_gogocarto"): export_path(
                _("Initiatives for aggregators (GoGoCarto)"),
                _(
                    "The shape of a GoGoCarto export, which Transiscope-like aggregators and "
                    "this directory's own import read."
                ),  # fmt: skip
                "application/json",
                {"$ref": "#/components/schemas/GoGoCarto"},
            ),
            reverse("map_features"): map_path,
        },
        "components": {
            "parameters": {parameter["name"]: parameter for parameter in filters},
            "schemas": SCHEMAS,
            "responses": RESPONSES,
        },
    }


def query_parameter(name, schema, text, example, required=False):
    parameter = {
        "name": name,
        "in": "query",
        "description": str(text),
        "schema": schema,
        "example": example,
    }
    if required:
        parameter["required"] = True
    if schema.get("type") == "array":
        parameter["style"], parameter["explode"] = "form", True
    return parameter


def filter_parameters():
    """The OpenAPI parameters of every GET parameter InitiativeFilter reads."""
    filterset = InitiativeFilter()
    parameters = []
    for name, field in filterset.form.fields.items():
        if isinstance(field, forms.MultiValueField):
            names = sorted(filterset.parameter_names() - set(filterset.form.fields) | {name})
            subfields = dict(zip(names, field.fields, strict=True))
        else:
            subfields = {name: field}
        for parameter, subfield in subfields.items():
            text, example = FILTER_DOCS[parameter]
            parameters.append(
                query_parameter(parameter, schema_of(subfield), f"{field.label}. {text}", example)
            )
    return parameters


def schema_of(field):
    if isinstance(field, forms.ModelMultipleChoiceField):
        return {"type": "array", "items": {"type": "string"}}
    if isinstance(field, forms.ModelChoiceField):
        return {"type": "string"}
    if isinstance(field, forms.MultipleChoiceField):
        return {"type": "array", "items": {"type": "string", "enum": choice_values(field)}}
    if isinstance(field, forms.ChoiceField):
        values = choice_values(field)
        return {"type": "string", "enum": values} if values else {"type": "string"}
    if isinstance(field, forms.DecimalField | forms.IntegerField):
        schema = {"type": "number"}
        if field.min_value is not None:
            schema["minimum"] = field.min_value
        if field.max_value is not None:
            schema["maximum"] = field.max_value
        return schema
    return (
        {"type": "string", "maxLength": field.max_length}
        if field.max_length
        else {"type": "string"}
    )


def choice_values(field):
    """The values of a field's choices, grouped ones included (the grids' dimensions)."""
    values = []
    for value, label in field.choices:
        if isinstance(label, list | tuple):
            values += [str(inner) for inner, _label in label]
        elif value != "":
            values.append(str(value))
    return values


def endpoints(document, example_filters):
    """[(path, operation, its own parameters, an example URL)] for the /api/ page, which lists
    the filters, common to all, once. The examples take the required parameters, else
    example_filters (a query string)."""
    found = []
    for path, item in document["paths"].items():
        operation = item["get"]
        own = [p for p in operation["parameters"] if "$ref" not in p]
        required = "&".join(f"{p['name']}={p['example']}" for p in own if p.get("required"))
        query = required or example_filters
        found.append((path, operation, own, f"{path}?{query}" if query else path))
    return found


def allowed_values(parameter):
    """The values a parameter takes, when they are a fixed list."""
    schema = parameter["schema"]
    return schema.get("enum") or schema.get("items", {}).get("enum") or []


def strings(*names):
    """The schema of an object of these string properties, all required."""
    return {
        "type": "object",
        "properties": {name: {"type": "string"} for name in names},
        "required": list(names),
    }


PLACE = {**strings("name", "code"), "type": ["object", "null"]}
NAMED_LINK = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "url": {"type": "string", "format": "uri"}},
    "required": ["name", "url"],
}
ABOUT = {"licence": NAMED_LINK, "source": NAMED_LINK}
SCHEMAS = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
        "required": ["error"],
    },
    "Initiative": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "url": {"type": "string", "format": "uri"},
            "name": {"type": "string"},
            "summary": {"type": "string"},
            "description": {"type": "string"},
            "how_it_works": {"type": "string"},
            "obstacles": {"type": "string"},
            "enablers": {"type": "string"},
            "lessons": {"type": "string"},
            "stage": {"type": "string"},
            "stage_label": {"type": "string"},
            "legal_form": {"type": "string"},
            "legal_form_label": {"type": "string"},
            "year_started": {"type": ["integer", "null"]},
            "website": {"type": "string"},
            "address": {"type": "string"},
            "commune": PLACE,
            "departement": PLACE,
            "region": PLACE,
            "country": {"type": "string"},
            "latitude": {"type": ["number", "null"]},
            "longitude": {"type": ["number", "null"]},
            "themes": {"type": "array", "items": strings("slug", "name")},
            "action_territories": {"type": "array", "items": strings("slug", "name", "code")},
            "actors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "role": {
                            "type": "string",
                            "enum": ["carrier", "funder", "support", "taker"],
                        },
                        "name": {"type": "string"},
                        "url": {"type": "string", "format": "uri"},
                        "amount": {"type": ["number", "null"]},
                        "currency": {"type": ["string", "null"], "enum": ["EUR", "CAD", None]},
                        "taker_kind": {"type": "string"},
                        "start_year": {"type": ["integer", "null"]},
                        "end_year": {"type": ["integer", "null"]},
                        "note": {"type": "string"},
                    },
                    "required": ["role", "name", "url"],
                },
            },
            "updated_at": {"type": "string", "format": "date-time"},
        },
        "required": ["id", "url", "name", "summary", "updated_at"],
        "additionalProperties": False,
    },
    "Page": {
        "type": "object",
        "properties": {
            **ABOUT,
            "count": {"type": "integer"},
            "next": {"type": ["string", "null"], "format": "uri"},
            "previous": {"type": ["string", "null"], "format": "uri"},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Initiative"}},
        },
        "required": ["licence", "source", "count", "next", "previous", "results"],
    },
    "FeatureCollection": {
        "type": "object",
        "properties": {
            "type": {"const": "FeatureCollection"},
            **ABOUT,
            "features": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"const": "Feature"},
                        "id": {"type": "string"},
                        "geometry": {"type": "object"},
                        "properties": {"type": "object"},
                    },
                },
            },
        },
        "required": ["type", "features"],
    },
    "GoGoCarto": {
        "type": "object",
        "properties": {
            "licence": {"type": "string", "format": "uri"},
            "ontology": {"const": "gogofull"},
            "source": NAMED_LINK,
            "data": {"type": "array", "items": {"type": "object"}},
        },
        "required": ["licence", "ontology", "data"],
    },
}
RESPONSES = {
    "BadRequest": {
        "description": gettext_lazy("A parameter is not valid: the answer says which and why."),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}
