"""Open data out: the CSV, XLSX, JSON, GeoJSON and GoGoCarto exports, the API's description
and sitemap.xml."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from openapi_spec_validator import validate
from openpyxl import load_workbook

from actors.models import Actor, Involvement
from initiatives import exports
from initiatives.filters import InitiativeFilter
from initiatives.imports.engine import apply_import, plan_import
from initiatives.imports.mapping import proposed_mapping
from initiatives.imports.readers import read_table
from initiatives.models import Initiative, InitiativeContact, SourceIdentifier
from tests.conftest import create_actor, create_initiative

FORMATS = ["initiatives_csv", "initiatives_xlsx", "initiatives_json", "initiatives_geojson",
           "initiatives_gogocarto"]  # fmt: skip


@pytest.fixture
def rich_directory(directory, territories, themes, commit):
    """The conftest directory, and initiatives with every public field filled or odd."""
    with commit():
        recyclerie = create_initiative(
            "Recyclerie du Bruaysis",
            themes=[themes["ressourceries"], themes["employment"]],
            commune=territories["bruay"],
            latitude=50.49,
            longitude=2.54,
            description="Collecte, répare et revend.\nUn atelier d'insertion.",
            how_it_works="Des salariés en insertion trient les dons.",
            obstacles="Le local est trop petit.",
            enablers="Le soutien de la communauté d'agglomération.",
            lessons="Commencer petit.",
            stage=Initiative.Stage.CONSOLIDATION,
            legal_form=Initiative.LegalForm.SCIC,
            year_started=2016,
            website="https://recyclerie.example.org",
            address="12 rue des Écoles",
        )
        region = create_actor("Région Hauts-de-France", kind=Actor.Kind.LOCAL_AUTHORITY)
        Involvement.objects.create(
            initiative=recyclerie, actor=region, role=Involvement.Role.FUNDER, amount=50000
        )
        Involvement.objects.create(
            initiative=recyclerie,
            actor=directory["macif"],
            role=Involvement.Role.FUNDER,
            amount=Decimal("12000.50"),
        )
        Involvement.objects.create(
            initiative=recyclerie, actor=directory["godin"], role=Involvement.Role.SUPPORT
        )
        Involvement.objects.create(
            initiative=recyclerie,
            actor=create_actor("Emmaüs Bruay"),
            role=Involvement.Role.CARRIER,
            start_year=2016,
        )
        recyclerie.action_territories.set([territories["pas-de-calais"]])
        create_initiative("Idée sans lieu", stage=Initiative.Stage.EMERGENCE, year_started=2023)
    return {**directory, "recyclerie": recyclerie}


def download(client, name, params=None, **headers):
    response = client.get(reverse(name), params or {}, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def ids_in(name, body):
    """The initiatives' ids in an export's body, in its order."""
    if name == "initiatives_csv":
        return [row["id"] for row in csv_rows(body)]
    if name == "initiatives_xlsx":
        return [row["id"] for row in xlsx_rows(body)]
    data = json.loads(body)
    if name == "initiatives_json":
        return [record["id"] for record in data["results"]]
    if name == "initiatives_geojson":
        return [feature["id"] for feature in data["features"]]
    return [element["id"] for element in data["data"]]


def csv_rows(body):
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def xlsx_rows(body):
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    rows = list(workbook[workbook.sheetnames[0]].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def listed(client, params):
    """The slugs the list of initiatives shows for these filters."""
    response = client.get(reverse("initiative_list"), params)
    assert not response.context["form"].errors
    return {initiative.slug for initiative in response.context["page_obj"].object_list}


# --- The same initiatives as the list ---------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"theme": "economie-circulaire-reemploi"},
        {"territory": "pas-de-calais"},
        {"stage": ["consolidation", "emergence"]},
        {"role": "funder", "actor": "fondation-macif"},
        {"year_min": "2010"},
        {"q": "recyclerie"},
        {"located": "false"},
        {"legal_form": "scic", "sort": "newest"},
    ],
)
def test_every_export_holds_what_the_list_shows_for_the_same_filters(
    client, rich_directory, params
):
    expected = listed(client, params)
    assert expected or params.get("located")  # the cases are not all empty
    for name in FORMATS:
        response, body = download(client, name, params)
        assert response.status_code == 200, name
        found = ids_in(name, body)
        if name == "initiatives_geojson":
            # GIS software needs a point: the initiatives without one are left out.
            located = set(
                Initiative.objects.filter(slug__in=expected, latitude__isnull=False).values_list(
                    "slug", flat=True
                )
            )
            assert set(found) == located, name
        else:
            assert set(found) == expected, name
        assert len(found) == len(set(found)), name


def test_the_rows_are_rich(client, rich_directory):
    response, body = download(client, "initiatives_csv", {"q": "recyclerie"})
    (row,) = csv_rows(body)

    recyclerie = rich_directory["recyclerie"]
    assert row == {
        "id": "recyclerie-du-bruaysis",
        "name": "Recyclerie du Bruaysis",
        "url": "http://testserver/initiatives/recyclerie-du-bruaysis/",
        "summary": "Résumé de Recyclerie du Bruaysis",
        "description": "Collecte, répare et revend.\nUn atelier d'insertion.",
        "stage": "consolidation",
        "stage_label": "consolidation",
        "legal_form": "scic",
        "legal_form_label": "SCIC",
        "year_started": "2016",
        "address": "12 rue des Écoles",
        "commune": "Bruay-la-Buissière",
        "commune_code": "62178",
        "departement": "Pas-de-Calais",
        "departement_code": "62",
        "region": "Hauts-de-France",
        "region_code": "32",
        "country": "FR",
        "latitude": "50.49",
        "longitude": "2.54",
        "themes": "Emploi, insertion & formation; Ressourceries",
        "action_territories": "Pas-de-Calais",
        "carriers": "Emmaüs Bruay",
        "funders": "Fondation Macif; Région Hauts-de-France",
        "funding_amounts": "Fondation Macif: 12000.50 EUR; Région Hauts-de-France: 50000.00 EUR",
        "funding_total": "62000.5",
        "support_partners": "Institut Godin",
        "takers": "",
        "website": "https://recyclerie.example.org",
        "updated_at": row["updated_at"],
        "licence": "ODbL 1.0 https://opendatacommons.org/licenses/odbl/1-0/",
        "source": "Essaim http://testserver/",
    }
    recyclerie.refresh_from_db()
    assert row["updated_at"].startswith(recyclerie.updated_at.astimezone().date().isoformat())

    record = json.loads(download(client, "initiatives_json", {"q": "recyclerie"})[1])["results"][0]
    assert record["commune"] == {"name": "Bruay-la-Buissière", "code": "62178"}
    assert record["region"] == {"name": "Hauts-de-France", "code": "32"}
    assert record["lessons"] == "Commencer petit."
    assert {
        "role": "carrier",
        "name": "Emmaüs Bruay",
        "url": "http://testserver/acteurs/emmaus-bruay/",
        "amount": None,
        "currency": None,
        "taker_kind": "",
        "start_year": 2016,
        "end_year": None,
        "note": "",
    } in record["actors"]
    assert [actor["role"] for actor in record["actors"]] == ["carrier", "funder", "funder",
                                                              "support"]  # fmt: skip
    assert [(a["amount"], a["currency"]) for a in record["actors"] if a["role"] == "funder"] == [
        (12000.5, "EUR"),
        (50000.0, "EUR"),
    ]


def test_english_exports_give_the_labels_in_english(client, rich_directory):
    response = client.get("/en/api/initiatives.json", {"q": "recyclerie"})

    record = response.json()["results"][0]
    assert record["stage_label"] == "consolidation"
    assert record["url"] == "http://testserver/en/initiatives/recyclerie-du-bruaysis/"
    english = client.get("/en/api/initiatives.json", {"stage": "diffusion"}).json()["results"]
    assert english[0]["stage_label"] == "scaling / diffusion (essaimage)"
    french = client.get("/api/initiatives.json", {"stage": "diffusion"}).json()["results"]
    assert french[0]["stage_label"] == "essaimage / diffusion"


# --- Nothing private --------------------------------------------------------------------------


def test_no_export_holds_a_private_field_or_an_unpublished_initiative(
    client, curator_client, rich_directory, commit
):
    recyclerie = rich_directory["recyclerie"]
    with commit():
        InitiativeContact.objects.create(
            initiative=recyclerie, name="Jeanne Secrète", email="jeanne@example.org", phone="0612"
        )
        SourceIdentifier.objects.create(
            initiative=recyclerie,
            source="tableur",
            identifier="ligne-77",
            imported_values={"contact.email": "ancien@example.org"},
        )
    secrets = ["Jeanne Secrète", "jeanne@example.org", "ancien@example.org", "ligne-77",
               "contact-prive@example.org", "Projet en brouillon", "Projet archivé",
               "search_document", "edit_count"]  # fmt: skip
    for some_client in (client, curator_client):
        for name in FORMATS:
            for params in ({}, {"status": "archived"}):
                response, body = download(some_client, name, params)
                if name == "initiatives_xlsx":
                    text = json.dumps(xlsx_rows(body), default=str, ensure_ascii=False)
                else:
                    text = body.decode("utf-8")
                assert "recyclerie-du-bruaysis" in text, name
                for secret in secrets:
                    assert secret not in text, (name, secret)


# --- Formula cells ----------------------------------------------------------------------------


def test_cells_that_would_run_as_formulas_are_neutralised(client, directory, commit):
    with commit():
        trap = create_initiative(
            '=HYPERLINK("http://evil.example","clic")',
            slug="piege",
            summary="+33 1 23 45 67 89",
            address="@SUM(A1:A9)",
            description="-2+3",
            latitude=48.5,
            longitude=-3.8,
        )
        Involvement.objects.create(
            initiative=trap, actor=create_actor("=1+1 Asso"), role=Involvement.Role.CARRIER
        )

    (row,) = [
        row for row in csv_rows(download(client, "initiatives_csv")[1]) if row["id"] == "piege"
    ]
    assert row["name"] == '\'=HYPERLINK("http://evil.example","clic")'
    assert row["summary"] == "'+33 1 23 45 67 89"
    assert row["address"] == "'@SUM(A1:A9)"
    assert row["description"] == "'-2+3"
    assert row["carriers"] == "'=1+1 Asso"
    # A number is a number: a western longitude keeps its minus sign.
    assert row["longitude"] == "-3.8"

    workbook = load_workbook(io.BytesIO(download(client, "initiatives_xlsx")[1]))
    sheet = workbook[workbook.sheetnames[0]]
    header = [cell.value for cell in sheet[1]]
    trap_row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "piege")
    cells = dict(zip(header, trap_row, strict=True))
    assert all(cell.data_type != "f" for cell in trap_row)
    assert cells["name"].value == '\'=HYPERLINK("http://evil.example","clic")'
    assert cells["longitude"].value == -3.8

    # Machine formats carry the text as it is.
    records = client.get(reverse("initiatives_json")).json()["results"]
    assert next(r for r in records if r["id"] == "piege")["name"].startswith("=HYPERLINK")


# --- Each format ------------------------------------------------------------------------------


def test_a_website_that_would_run_script_is_not_exported(client, directory, commit):
    with commit():
        Initiative.objects.filter(slug="fe2i").update(website="javascript:alert(1)")
    for name in (
        "initiatives_csv",
        "initiatives_json",
        "initiatives_geojson",
        "initiatives_gogocarto",
    ):
        _response, body = download(client, name)
        assert b"javascript:" not in body, name
        assert b"Florange" in body, name


def test_the_xlsx_opens_with_openpyxl_and_says_what_it_is(client, rich_directory):
    response, body = download(client, "initiatives_xlsx", {"territory": "hauts-de-france"})

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith('attachment; filename="essaim-initiatives-')
    workbook = load_workbook(io.BytesIO(body))
    assert workbook.sheetnames == ["Initiatives", "À propos"]
    rows = xlsx_rows(body)
    assert {row["id"] for row in rows} == {"maison-des-echanges", "recyclerie-du-bruaysis"}
    recyclerie = next(row for row in rows if row["id"] == "recyclerie-du-bruaysis")
    assert recyclerie["year_started"] == 2016
    assert recyclerie["funding_total"] == 62000.5
    about = [
        [cell for cell in row if cell] for row in workbook["À propos"].iter_rows(values_only=True)
    ]
    assert ["Source", "http://testserver/"] in about
    assert ["Licence", "ODbL 1.0 — https://opendatacommons.org/licenses/odbl/1-0/"] in about
    assert ["Filtres", "territory=hauts-de-france"] in about
    assert [
        "commune_code",
        "Le code INSEE de la commune (code géographique hors de France).",
    ] in about


def test_every_export_states_its_licence_and_source(client, directory, settings):
    settings.DATA_LICENCE_NAME = "Licence Ouverte 2.0"
    settings.DATA_LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    licence = {"name": "Licence Ouverte 2.0", "url": settings.DATA_LICENCE_URL}
    source = {"name": "Essaim", "url": "http://testserver/"}

    for name in FORMATS:
        response, body = download(client, name)
        assert response["Link"] == f'<{settings.DATA_LICENCE_URL}>; rel="license"', name
        if name in ("initiatives_json", "initiatives_geojson"):
            data = json.loads(body)
            assert (data["licence"], data["source"]) == (licence, source), name
    gogocarto = json.loads(download(client, "initiatives_gogocarto")[1])
    assert gogocarto["licence"] == settings.DATA_LICENCE_URL
    assert gogocarto["ontology"] == "gogofull"
    assert gogocarto["source"] == source
    workbook = load_workbook(io.BytesIO(download(client, "initiatives_xlsx")[1]))
    assert any("Licence Ouverte 2.0" in str(row) for row in workbook["À propos"].values)
    rows = csv_rows(download(client, "initiatives_csv")[1])
    assert rows and all(
        (row["licence"], row["source"])
        == (f"Licence Ouverte 2.0 {licence['url']}", "Essaim http://testserver/")
        for row in rows
    )


def test_the_json_pages_link_each_other(client, rich_directory):
    query = {"page_size": 2, "theme": "economie-circulaire-reemploi"}
    first = client.get(reverse("initiatives_json"), query).json()
    second = client.get(first["next"]).json()

    assert first["count"] == second["count"] == 3
    assert first["previous"] is None and second["next"] is None
    assert first["next"].endswith("page=2")
    assert client.get(second["previous"]).json() == first
    ids = [record["id"] for record in first["results"] + second["results"]]
    assert len(ids) == 3
    assert set(ids) == listed(client, {"theme": "economie-circulaire-reemploi"})


def test_a_page_past_the_end_or_not_a_number_is_refused_with_its_reason(client, directory):
    past = client.get(reverse("initiatives_json"), {"page": 9})
    assert past.status_code == 404
    assert past.json()["error"] == "Il n’y a pas de page 9 : la dernière est la 1."

    bad = client.get(reverse("initiatives_json"), {"page": "deux", "page_size": 10_000})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"page", "page_size"}


@pytest.mark.parametrize("name", FORMATS)
def test_a_bad_filter_is_a_400_that_says_why(client, directory, name):
    response = client.get(reverse(name), {"theme": "no-such-theme", "year_min": "1066"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"theme", "year_min"}


def test_an_export_is_a_304_until_the_directory_changes(client, directory, commit):
    first = client.get(reverse("initiatives_csv"))
    etag = first["ETag"]
    assert (
        client.get(reverse("initiatives_csv"), headers={"if-none-match": etag}).status_code == 304
    )

    with commit():
        directory["fe2i"].summary = "Nouveau résumé"
        directory["fe2i"].save()

    again = client.get(reverse("initiatives_csv"), headers={"if-none-match": etag})
    assert again.status_code == 200
    assert "Nouveau résumé" in b"".join(again.streaming_content).decode()


def test_whole_file_exports_are_limited_per_address_with_a_429_that_says_why(
    client, directory, settings
):
    settings.EXPORT_RATE_LIMIT = "3/m"
    cache.clear()
    urls = [
        reverse(name) for name in ("initiatives_csv", "initiatives_geojson", "initiatives_xlsx")
    ]
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    refused = client.get(reverse("initiatives_gogocarto"))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "3/m" in refused.json()["error"]
    # Another address has its own count; the JSON pages are not whole files.
    assert client.get(urls[0], REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get(reverse("initiatives_json")).status_code == 200
    cache.clear()


def test_an_export_costs_the_same_queries_for_ten_or_a_hundred_initiatives(
    client, directory, commit, django_assert_num_queries, monkeypatch
):
    # Chunks of 40: a hundred initiatives take three chunks, four queries each.
    monkeypatch.setattr(exports, "CHUNK", 40)

    def add(count):
        with commit():
            for number in range(count):
                initiative = create_initiative(
                    f"Initiative {number:03}", slug=f"i-{number:03}-{count}"
                )
                Involvement.objects.create(
                    initiative=initiative, actor=directory["godin"], role=Involvement.Role.SUPPORT
                )

    add(8)  # ten published
    # 1 the directory version, 2 the ids in order, 3 régions and départements, 4-7 a chunk:
    # the initiatives, their themes, territories of action and actors.
    with django_assert_num_queries(7):
        response, body = download(client, "initiatives_csv")
    assert len(csv_rows(body)) == 10
    add(90)
    with django_assert_num_queries(3 + 3 * 4):
        response, body = download(client, "initiatives_csv")
    rows = csv_rows(body)
    assert len(rows) == 100
    assert [row["name"] for row in rows] == sorted(row["name"] for row in rows)


# --- The aggregator feed ----------------------------------------------------------------------


def test_the_gogocarto_feed_imports_back_into_an_empty_directory_as_the_same_initiatives(
    client, rich_directory, commit
):
    def facts():
        return {
            initiative.name: (
                initiative.summary,
                initiative.description,
                initiative.how_it_works,
                initiative.obstacles,
                initiative.enablers,
                initiative.lessons,
                initiative.commune.code if initiative.commune_id else None,
                initiative.latitude,
                initiative.longitude,
                initiative.address,
                initiative.website,
                initiative.stage,
                initiative.legal_form,
                initiative.year_started,
                sorted(theme.slug for theme in initiative.themes.all()),
                sorted((i.role, i.actor.name) for i in initiative.involvements.all()),
            )
            for initiative in Initiative.objects.published()
            .select_related("commune")
            .prefetch_related("themes", "involvements__actor")
        }

    exported = facts()
    assert len(exported) == 4
    feed = download(client, "initiatives_gogocarto")[1]
    with commit():
        Initiative.objects.all().delete()
        Actor.objects.all().delete()

    table = read_table(feed)
    assert table.is_gogocarto
    mapping = proposed_mapping(table)
    with commit():
        plan = plan_import(table, {**mapping, "status": "published"}, "essaim")
        report = apply_import(plan, file_name="gogocarto.json")

    assert (report.created, plan.counts()["rejected"]) == (4, 0)
    assert facts() == exported
    assert not plan.unmapped_categories


# --- The API's description and page -----------------------------------------------------------


def test_the_openapi_description_is_valid_and_documents_every_filter(client, directory):
    description = client.get(reverse("api_openapi")).json()

    validate(description)
    shared = description["components"]["parameters"]
    parameters = {
        shared[parameter["$ref"].rsplit("/", 1)[1]]["name"]
        if "$ref" in parameter
        else parameter["name"]
        for operation in description["paths"].values()
        for parameter in operation["get"]["parameters"]
    }
    assert InitiativeFilter().parameter_names() <= parameters
    assert {"page", "page_size", "bbox", "zoom"} <= parameters
    assert set(description["paths"]) == {
        "/api/initiatives.csv",
        "/api/initiatives.xlsx",
        "/api/initiatives.json",
        "/api/initiatives.geojson",
        "/api/gogocarto.json",
        "/api/map/",
    }


def test_a_json_page_matches_its_openapi_schema(client, rich_directory):
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    description = client.get(reverse("api_openapi")).json()
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(description))
    schema = {"$ref": "urn:openapi#/components/schemas/Page"}
    validator = Draft202012Validator(schema, registry=registry)
    page = client.get(reverse("initiatives_json")).json()

    errors = list(validator.iter_errors(page))
    assert not errors, errors[0]
    assert len(page["results"]) == 4


def test_the_api_page_shows_every_address_and_filter_with_working_examples(client, directory):
    response = client.get(reverse("api"))

    html = response.content.decode()
    assert response.status_code == 200
    for name in InitiativeFilter().parameter_names() | {"page", "page_size", "bbox", "zoom"}:
        assert f"<code>{name}</code>" in html, name
    for column in exports.COLUMNS:
        assert f"<code>{column}</code>" in html, column
    assert "ODbL 1.0" in html
    examples = response.context["endpoints"]
    assert len(examples) == 6
    for _path, _operation, _parameters, example in examples:
        assert client.get(example).status_code == 200, example


# --- The download menu ------------------------------------------------------------------------


def test_the_list_and_the_map_offer_the_current_filters_downloads(client, directory):
    for page in ("initiative_list", "map"):
        html = client.get(reverse(page), {"theme": "ressourceries", "page": "1"}).content.decode()
        assert "Télécharger" in html
        for name in FORMATS:
            assert f'href="{reverse(name)}?theme=ressourceries"' in html, (page, name)


def test_a_theme_page_downloads_its_theme(client, directory):
    html = client.get(reverse("theme_detail", args=["ressourceries"])).content.decode()

    assert f'href="{reverse("initiatives_csv")}?theme=ressourceries"' in html


# --- sitemap.xml ------------------------------------------------------------------------------


def test_the_sitemap_lists_the_public_pages_in_both_languages(client, directory, territories):
    index = client.get("/sitemap.xml").content.decode()
    sections = ["pages", "initiatives", "territories", "themes", "actors"]
    for section in sections:
        assert f"http://testserver/sitemap-{section}.xml" in index

    def locations(section):
        return client.get(f"/sitemap-{section}.xml").content.decode()

    initiatives = locations("initiatives")
    assert "http://testserver/initiatives/fe2i/" in initiatives
    assert "http://testserver/en/initiatives/fe2i/" in initiatives
    assert 'hreflang="en"' in initiatives
    assert "brouillon" not in initiatives and "archive" not in initiatives
    places = locations("territories")
    for slug in ("france", "hauts-de-france", "pas-de-calais", "bruay-la-buissiere-62178"):
        assert f"http://testserver/territoires/{slug}/" in places
    actors = locations("actors")
    assert "http://testserver/acteurs/institut-godin/" in actors
    assert "/themes/ressourceries/" in locations("themes")
    assert "/api/" in locations("pages")


def test_a_territory_without_initiatives_and_an_unlisted_actor_stay_out_of_the_sitemap(
    client, directory, make_actor, commit
):
    make_actor("Acteur sans initiative")
    with commit():
        directory["fe2i"].status = Initiative.Status.DRAFT
        directory["fe2i"].save()

    places = client.get("/sitemap-territories.xml").content.decode()
    assert "/territoires/moselle/" not in places and "/territoires/grand-est/" not in places
    assert "/territoires/pas-de-calais/" in places
    actors = client.get("/sitemap-actors.xml").content.decode()
    assert "acteur-sans-initiative" not in actors
    # Macif funds only fe2i, now a draft.
    assert "fondation-macif" not in actors


def test_amounts_in_two_currencies_are_not_added_up(directory):
    # A Québec funder gives Canadian dollars: the CSV lists each amount with its currency and
    # gives no total, which would add euros to dollars.
    Involvement.objects.create(
        initiative=directory["fe2i"],
        actor=directory["godin"],
        role=Involvement.Role.FUNDER,
        amount=Decimal("8000"),
        currency=Involvement.Currency.CAD,
    )
    Involvement.objects.filter(actor=directory["macif"]).update(amount=Decimal("1000"))
    [record] = [
        r
        for r in exports.public_records(
            Initiative.objects.filter(pk=directory["fe2i"].pk), lambda path: path
        )
    ]
    row = exports.flat(record)
    assert row["funding_amounts"] == "Fondation Macif: 1000.00 EUR; Institut Godin: 8000.00 CAD"
    assert row["funding_total"] is None
