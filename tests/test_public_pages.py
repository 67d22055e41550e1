"""The public pages through the test client: content, visibility and bad input."""

import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.text import slugify

from actors import views as actor_views
from actors.models import ActorContact, Involvement
from initiatives import filters, views
from initiatives.models import Initiative, Territory
from tests.conftest import make_territory


def text_of(response):
    """The page's HTML, with the tags' attributes kept (for hrefs) and whitespace collapsed."""
    return " ".join(response.content.decode().split())


def card_names(response):
    return [initiative.name for initiative in response.context["page_obj"].object_list]


# Home


def test_the_home_page_shows_themes_regions_recent_initiatives_and_totals(client, directory):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = text_of(response)
    assert 'role="search"' in page
    assert "Économie circulaire &amp; réemploi" in page
    assert reverse("territory_detail", args=["hauts-de-france"]) in page
    assert "Maison des échanges" in page and "Projet en brouillon" not in page
    assert response.context["totals"] == {"initiatives": 2, "territories": 2, "actors": 4}


# The list


def test_words_typed_after_the_default_order_are_ranked_by_relevance(client, make_initiative):
    # The sort menu's default option sends an empty sort, not "name": the form submitted
    # with new words orders them by relevance, and an order the visitor chose is kept.
    make_initiative("Atelier du quartier", summary="Une recyclerie de quartier.")
    make_initiative("Recyclerie pour tous", summary="Des objets réparés.")
    page = client.get(reverse("initiative_list"))
    assert page.context["sort_choices"][0] == ("", "nom")
    assert page.context["current_sort"] == ""
    searched = client.get(reverse("initiative_list"), {"q": "recyclerie", "sort": ""})
    assert card_names(searched) == ["Recyclerie pour tous", "Atelier du quartier"]
    assert [label for _value, label in searched.context["sort_choices"]][:2] == [
        "pertinence",
        "nom",
    ]
    by_name = client.get(reverse("initiative_list"), {"q": "recyclerie", "sort": "name"})
    assert card_names(by_name) == ["Atelier du quartier", "Recyclerie pour tous"]
    assert by_name.context["current_sort"] == "name"


def test_the_list_shows_published_initiatives_only(client, directory):
    response = client.get(reverse("initiative_list"))
    assert response.status_code == 200
    assert card_names(response) == [
        "Florange Écologie industrielle et Insertion",
        "Maison des échanges",
    ]
    assert "Projet archivé" not in text_of(response)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=ecologie", ["Florange Écologie industrielle et Insertion"]),
        (
            "theme=economie-circulaire-reemploi",
            ["Florange Écologie industrielle et Insertion", "Maison des échanges"],
        ),
        ("theme=ressourceries", ["Maison des échanges"]),
        ("territory=hauts-de-france", ["Maison des échanges"]),
        ("stage=diffusion", ["Florange Écologie industrielle et Insertion"]),
        ("role=funder&actor=fondation-macif", ["Florange Écologie industrielle et Insertion"]),
        ("year_min=2010", ["Maison des échanges"]),
        ("year_max=2010&sort=newest", ["Florange Écologie industrielle et Insertion"]),
    ],
)
def test_each_filter_is_a_get_parameter(client, directory, query, expected):
    response = client.get(reverse("initiative_list") + "?" + query)
    assert response.status_code == 200
    assert card_names(response) == expected


def test_the_list_shows_facet_counts_beside_the_options(client, directory):
    page = text_of(client.get(reverse("initiative_list"), {"stage": "consolidation"}))
    assert re.search(r'id="filter-stage-consolidation" checked>.*?\(1\)', page)
    assert re.search(r'id="filter-stage-diffusion">.*?\(1\)', page)
    assert re.search(
        r'for="filter-territory-hauts-de-france">Hauts-de-France <span class="facet-count">\(1\)',
        page,
    )


def test_the_actor_filter_is_a_name_field_suggesting_the_most_involved(
    client, directory, monkeypatch
):
    page = text_of(client.get(reverse("initiative_list")))
    assert (
        '<input type="text" id="filter-actor" name="actor" list="filter-actor-suggestions"' in page
    )
    suggestions = re.findall(r'<datalist id="filter-actor-suggestions">.*?</datalist>', page, re.S)[
        0
    ]
    assert '<option value="Département du Pas-de-Calais">2 initiatives</option>' in suggestions
    assert "Tapez un nom : les acteurs impliqués dans ces résultats sont proposés." in page

    monkeypatch.setattr(filters, "ACTOR_FACET_LIMIT", 1)
    cache.clear()  # the facets counted above are cached until the directory changes
    page = text_of(client.get(reverse("initiative_list")))
    assert "Tapez un nom : les acteurs les plus impliqués dans ces résultats sont proposés." in page
    suggestions = re.findall(r'<datalist id="filter-actor-suggestions">.*?</datalist>', page, re.S)[
        0
    ]
    assert suggestions.count("<option") == 1


def test_the_chosen_actor_is_shown_by_its_name(client, directory):
    for actor in ["fondation-macif", "Fondation Macif"]:
        page = text_of(client.get(reverse("initiative_list"), {"actor": actor}))
        assert 'list="filter-actor-suggestions" autocomplete="off" value="Fondation Macif"' in page
    page = text_of(client.get(reverse("initiative_list"), {"actor": "Fondation Mac"}))
    assert 'autocomplete="off" value="Fondation Mac"' in page  # kept, to be corrected
    assert "Aucun acteur ne s’appelle « Fondation Mac »" in page


def test_the_filter_form_works_without_javascript(client, directory):
    page = text_of(client.get(reverse("initiative_list")))
    assert re.search(
        r'<form id="initiative-filters" class="filter-form" method="get" action="/initiatives/"',
        page,
    )
    assert 'id="filter-submit"' in page
    assert '<details id="filter-panel"' in page


def test_the_map_link_keeps_the_filters(client, directory):
    response = client.get(reverse("initiative_list"), {"theme": "ressourceries", "page": "1"})
    assert 'class="map-link" href="/carte/?theme=ressourceries"' in text_of(response)


def test_the_map_link_of_a_theme_page_carries_the_theme(client, directory):
    response = client.get(reverse("theme_detail", args=["ressourceries"]), {"stage": "diffusion"})
    assert 'href="/carte/?stage=diffusion&amp;theme=ressourceries"' in text_of(response)


def test_pagination_keeps_the_filters(client, directory, make_initiative):
    for number in range(30):
        make_initiative(f"Ressourcerie {number:02}", stage=Initiative.Stage.EMERGENCE)
    response = client.get(reverse("initiative_list"), {"stage": "emergence"})
    assert len(card_names(response)) == 24
    assert 'href="?stage=emergence&amp;page=2"' in text_of(response)
    second = client.get(reverse("initiative_list"), {"stage": "emergence", "page": 2})
    assert len(card_names(second)) == 6


@pytest.mark.parametrize(
    "query",
    [
        "theme=nope&page=9999&year_min=abc&territory[]=x",
        "territory=atlantis",
        "actor=nobody&role=boss",
        "year_min=99999999999999999999",
        "year_max=-5",
        "page=abc",
        "page=-1",
        "page=0",
        "sort=random",
        "q=" + "x" * 1000,
        "stage=emergence&stage=%27%3B--",
        "theme=",
        "territory=",
    ],
)
def test_invalid_or_hostile_parameters_never_give_an_error(client, directory, query):
    response = client.get(reverse("initiative_list") + "?" + query)
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["q=%00", "territory=fr%00ance", "stage%00=diffusion"])
def test_a_nul_byte_in_a_parameter_is_a_400_that_names_it(client, directory, query):
    response = client.get(reverse("initiative_list") + "?" + query)
    assert response.status_code == 400
    assert "%00" in response.content.decode()


def test_unknown_parameters_are_named_not_silently_dropped(client, directory):
    response = client.get(reverse("initiative_list") + "?territory[]=x&stage=diffusion")
    page = text_of(response)
    assert 'role="alert"' in page
    assert "Paramètre inconnu : territory[]" in page
    assert card_names(response) == ["Florange Écologie industrielle et Insertion"]
    known = "?dimension=marqueurs-godin.x&dimension_min=1&located=true&page=1&sort=name"
    assert "Paramètre" not in text_of(client.get(reverse("initiative_list") + known))


def test_invalid_filters_are_explained_and_the_valid_ones_applied(client, directory):
    response = client.get(reverse("initiative_list") + "?theme=nope&year_min=abc&stage=diffusion")
    page = text_of(response)
    assert 'role="alert"' in page
    assert card_names(response) == ["Florange Écologie industrielle et Insertion"]


def test_a_page_past_the_end_gives_the_last_page(client, directory):
    response = client.get(reverse("initiative_list"), {"page": 9999})
    assert response.status_code == 200
    assert response.context["page_obj"].number == 1
    assert len(card_names(response)) == 2


@pytest.mark.parametrize(
    "url",
    [
        reverse_lazy("actor_list"),
        reverse_lazy("territory_detail", args=["france"]),
        reverse_lazy("theme_detail", args=["economie-circulaire-reemploi"]),
    ],
)
@pytest.mark.parametrize("page", ["9999", "abc", "-1"])
def test_every_paginated_page_forgives_a_bad_page_number(client, directory, url, page):
    response = client.get(url, {"page": page})
    assert response.status_code == 200
    assert response.context["page_obj"].number == (
        1 if page == "abc" else response.context["paginator"].num_pages
    )


def test_archived_initiatives_are_listed_on_a_curators_request_only(client, curator, directory):
    anonymous = client.get(reverse("initiative_list"), {"status": "archived"})
    assert "Projet archivé" not in card_names(anonymous)
    client.force_login(curator)
    response = client.get(reverse("initiative_list"), {"status": "archived"})
    assert card_names(response) == ["Projet archivé"]
    drafts = client.get(reverse("initiative_list"), {"status": "draft"})
    assert drafts.context["paginator"].count == 2


def test_staff_without_the_curators_permissions_do_not_see_archives(
    client, directory, django_user_model
):
    client.force_login(django_user_model.objects.create_user("stagiaire", is_staff=True))
    response = client.get(reverse("initiative_list"), {"status": "archived"})
    assert "Projet archivé" not in card_names(response)


# An initiative


def test_the_detail_page_shows_everything_about_an_initiative(client, directory):
    maison = directory["maison"]
    maison.how_it_works = "Les adhérents échangent des objets."
    maison.website = "https://maisondesechanges.fr"
    maison.save()
    response = client.get(maison.get_absolute_url())
    assert response.status_code == 200
    page = text_of(response)
    for expected in [
        "Résumé de Maison des échanges",
        "Les adhérents échangent des objets.",
        "Consolidation",
        "2012",
        "https://maisondesechanges.fr",
        "Ressourceries",
        reverse("territory_detail", args=["pas-de-calais"]),
        "Porteurs",
        "Bailleurs de fonds",
        "Partenaires de soutien",
        reverse("actor_detail", args=["departement-du-pas-de-calais"]),
        reverse("actor_detail", args=["institut-godin"]),
    ]:
        assert expected in page, expected


def test_the_actors_are_grouped_under_the_four_roles_in_order(client, directory):
    response = client.get(directory["fe2i"].get_absolute_url())
    roles = [role for role, heading, involvements in response.context["roles"]]
    assert roles == [Involvement.Role.FUNDER, Involvement.Role.TAKER]
    page = text_of(response)
    assert page.index("Bailleurs de fonds") < page.index("Preneurs")


def test_the_lineage_shows_published_origins_and_replications(client, directory, make_initiative):
    copy = make_initiative("Maison des échanges de Lens", replicated_from=directory["maison"])
    make_initiative(
        "Copie en brouillon", status=Initiative.Status.DRAFT, replicated_from=directory["maison"]
    )
    original = text_of(client.get(directory["maison"].get_absolute_url()))
    assert copy.get_absolute_url() in original
    assert "Copie en brouillon" not in original
    assert directory["maison"].get_absolute_url() in text_of(client.get(copy.get_absolute_url()))


def test_an_unpublished_origin_is_not_linked(client, directory, make_initiative):
    copy = make_initiative("Copie", replicated_from=directory["draft"])
    assert "Projet en brouillon" not in text_of(client.get(copy.get_absolute_url()))


def test_related_initiatives_share_a_theme_or_the_departement(
    client, directory, make_initiative, themes, territories
):
    same_theme = make_initiative("Recyclerie du Nord", themes=[themes["ressourceries"]])
    nearby = make_initiative("Voisins de Bruay", commune=territories["bruay"])
    unrelated = make_initiative("Sans rapport")
    response = client.get(directory["maison"].get_absolute_url())
    related = [initiative.name for initiative in response.context["related"]]
    assert related[0] == same_theme.name
    assert nearby.name in related
    assert unrelated.name not in related and "Maison des échanges" not in related


def test_the_detail_page_has_json_ld_and_share_previews(client, directory):
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(block)
    assert data["@type"] == "Project"
    assert data["name"] == "Maison des échanges"
    assert data["url"].endswith("/initiatives/maison-des-echanges/")
    assert data["funder"][0]["name"] == "Département du Pas-de-Calais"
    assert data["geo"]["latitude"] == 50.4833
    assert '<meta property="og:title" content="Maison des échanges">' in page
    assert '<meta name="twitter:card" content="summary">' in page


def test_json_ld_cannot_close_its_script(client, directory):
    directory["maison"].summary = "</script><script>alert(1)</script>"
    directory["maison"].save()
    page = client.get(directory["maison"].get_absolute_url()).content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(block)["description"] == "</script><script>alert(1)</script>"


@pytest.mark.parametrize("status", ["draft", "submitted", "archived"])
def test_unpublished_initiatives_are_invisible_to_the_public(client, make_initiative, status):
    initiative = make_initiative("Pas encore", status=status)
    assert client.get(initiative.get_absolute_url()).status_code == 404


def test_curators_see_an_archived_initiative_marked_as_such(curator_client, directory):
    response = curator_client.get(directory["archived"].get_absolute_url())
    assert response.status_code == 200
    assert "archivée" in text_of(response)


def test_curators_preview_a_draft_under_a_banner_that_others_never_see(
    client, curator_client, directory
):
    url = directory["draft"].get_absolute_url()
    response = curator_client.get(url)
    assert response.status_code == 200
    assert "Brouillon — non publiée" in text_of(response)
    client.logout()
    assert client.get(url).status_code == 404


def test_an_unknown_initiative_is_a_404(client, db):
    assert client.get(reverse("initiative_detail", args=["nope"])).status_code == 404


# Territories


def test_the_territory_list_shows_regions_with_initiatives(client, directory):
    response = client.get(reverse("territory_list"))
    page = text_of(response)
    assert reverse("territory_detail", args=["hauts-de-france"]) in page
    assert reverse("territory_detail", args=["grand-est"]) in page


def test_the_territory_list_can_show_every_region(client, directory, territories):
    Territory.objects.create(
        slug="bretagne", name="Bretagne", kind="region", parent=territories["france"], country="FR"
    )
    assert "Bretagne" not in text_of(client.get(reverse("territory_list")))
    assert "Bretagne" in text_of(client.get(reverse("territory_list"), {"all": 1}))


def world(territories, make_initiative):
    """Brazil, Canada and Belgium besides France, each with a region holding an initiative."""
    regions = {}
    for code, country, region in [
        ("BR", "Brésil", "Rio Grande do Sul"),
        ("CA", "Canada", "Québec"),
        ("BE", "Belgique", "Wallonie"),
    ]:
        country = make_territory(
            slugify(country), country, Territory.Kind.COUNTRY, code=code, country=code
        )
        regions[code] = make_territory(
            slugify(region), region, Territory.Kind.REGION, country, country=code
        )
        make_initiative(f"Initiative {region}", commune=regions[code])
    return regions


def test_countries_come_france_then_canada_then_the_others_by_name(
    client, directory, territories, make_initiative
):
    world(territories, make_initiative)
    response = client.get(reverse("territory_list"))
    assert [country.name for country, _regions in response.context["countries"]] == [
        "France",
        "Canada",
        "Belgique",
        "Brésil",
    ]
    page = text_of(response)
    assert page.index("Hauts-de-France") < page.index("Québec") < page.index("Wallonie")


def test_the_home_page_lists_the_regions_under_their_country(
    client, directory, territories, make_initiative
):
    world(territories, make_initiative)
    countries = client.get(reverse("home")).context["countries"]
    assert [
        (country.name, sorted(region.name for region, _count in regions))
        for country, regions in countries
    ] == [
        ("France", ["Grand Est", "Hauts-de-France"]),
        ("Canada", ["Québec"]),
        ("Belgique", ["Wallonie"]),
        ("Brésil", ["Rio Grande do Sul"]),
    ]


def test_the_territory_search_finds_names_and_codes_with_their_counts(client, directory):
    response = client.get(reverse("territory_list"), {"q": "bruay la"})
    assert [(t.name, t.count) for t in response.context["found"]] == [("Bruay-la-Buissière", 1)]
    page = text_of(response)
    assert "1 territoire nommé « bruay la »" in page
    assert "commune 62178, Pas-de-Calais" in page
    by_code = client.get(reverse("territory_list"), {"q": "57"}).context["found"]
    assert [t.name for t in by_code] == ["Moselle", "Florange"]
    nothing = client.get(reverse("territory_list"), {"q": "zzz"})
    assert list(nothing.context["found"]) == []
    assert "Aucun territoire" in text_of(nothing)


def test_a_territory_page_has_a_breadcrumb_children_and_its_initiatives(client, directory):
    response = client.get(reverse("territory_detail", args=["hauts-de-france"]))
    assert response.status_code == 200
    page = text_of(response)
    breadcrumb = re.search(r'<nav class="breadcrumb".*?</nav>', page).group(0)
    assert breadcrumb.index("France") < breadcrumb.index("Hauts-de-France")
    assert [(child.slug, count) for child, count in response.context["children"]] == [
        ("pas-de-calais", 1)
    ]
    assert card_names(response) == ["Maison des échanges"]


def test_a_territory_page_can_list_children_without_initiatives(client, directory, territories):
    Territory.objects.create(
        slug="somme",
        name="Somme",
        kind="departement",
        parent=territories["hauts-de-france"],
        country="FR",
    )
    default = client.get(reverse("territory_detail", args=["hauts-de-france"]))
    assert "Somme" not in text_of(default)
    everything = client.get(reverse("territory_detail", args=["hauts-de-france"]), {"all": "1"})
    assert [(child.slug, count) for child, count in everything.context["children"]] == [
        ("pas-de-calais", 1),
        ("somme", 0),
    ]


def test_children_are_sorted_by_count(client, directory, territories, make_initiative):
    make_initiative("Un autre à Florange", commune=territories["florange"])
    response = client.get(reverse("territory_detail", args=["france"]))
    assert [(child.slug, count) for child, count in response.context["children"]] == [
        ("grand-est", 2),
        ("hauts-de-france", 1),
    ]


def test_a_territory_page_lists_the_children_with_the_most_initiatives(
    client, directory, territories, make_initiative, monkeypatch
):
    # In a large directory a département's communes holding initiatives are hundreds.
    monkeypatch.setattr(views, "CHILDREN_SHOWN", 1)
    make_initiative("Un autre à Florange", commune=territories["florange"])
    response = client.get(reverse("territory_detail", args=["france"]))
    assert [(child.slug, count) for child, count in response.context["children"]] == [
        ("grand-est", 2)
    ]
    page = text_of(response)
    assert "Ses territoires qui comptent le plus d'initiatives" in page
    assert "Et 1 autre territoire avec des initiatives." in page
    everything = client.get(reverse("territory_detail", args=["france"]), {"all": "1"})
    assert len(everything.context["children"]) == 2


def test_networks_acting_in_a_territory_are_listed_apart(
    client, directory, territories, make_initiative
):
    network = make_initiative("Réseau national")
    network.action_territories.add(territories["france"])
    local = make_initiative("Aussi à Bruay", commune=territories["bruay"])
    local.action_territories.add(territories["pas-de-calais"])
    response = client.get(reverse("territory_detail", args=["pas-de-calais"]))
    assert [initiative.name for initiative in response.context["acting"]] == ["Réseau national"]
    assert "Réseau national" not in card_names(response)
    assert "Aussi à Bruay" in card_names(response)


def test_an_unknown_territory_is_a_404(client, db):
    assert client.get(reverse("territory_detail", args=["atlantis"])).status_code == 404


# Themes


def test_the_theme_list_shows_the_taxonomy_with_counts(client, directory):
    response = client.get(reverse("theme_list"))
    counts = {theme.slug: theme.count for theme in response.context["themes"]}
    assert counts == {"economie-circulaire-reemploi": 2, "emploi-insertion-formation": 1}
    assert "Ressourceries" in text_of(response)


def test_a_theme_page_lists_its_family_with_the_other_filters(client, directory):
    url = reverse("theme_detail", args=["economie-circulaire-reemploi"])
    response = client.get(url)
    assert card_names(response) == [
        "Florange Écologie industrielle et Insertion",
        "Maison des échanges",
    ]
    assert [(sub.slug, sub.count) for sub in response.context["subthemes"]] == [
        ("ressourceries", 1)
    ]
    filtered = client.get(url, {"stage": "consolidation"})
    assert card_names(filtered) == ["Maison des échanges"]
    assert f'action="{url}"' in text_of(filtered)


def test_a_theme_page_ignores_another_theme_in_the_query(client, directory):
    response = client.get(
        reverse("theme_detail", args=["ressourceries"]), {"theme": "emploi-insertion-formation"}
    )
    assert card_names(response) == ["Maison des échanges"]


def test_an_unknown_theme_is_a_404(client, db):
    assert client.get(reverse("theme_detail", args=["nope"])).status_code == 404


# Actors


def test_the_actor_list_shows_counts_by_role(client, directory):
    response = client.get(reverse("actor_list"))
    actors = {actor.slug: actor for actor in response.context["page_obj"].object_list}
    assert set(actors) == {
        "association-maison-des-echanges",
        "departement-du-pas-de-calais",
        "fondation-macif",
        "institut-godin",
    }
    assert (
        actors["departement-du-pas-de-calais"].funder_count,
        actors["departement-du-pas-de-calais"].taker_count,
    ) == (1, 1)


def test_the_actor_list_filters_by_role_and_name(client, directory):
    funders = client.get(reverse("actor_list"), {"role": "funder"}).context["page_obj"].object_list
    assert {actor.slug for actor in funders} == {"departement-du-pas-de-calais", "fondation-macif"}
    named = client.get(reverse("actor_list"), {"q": "godin"}).context["page_obj"].object_list
    assert [actor.slug for actor in named] == ["institut-godin"]
    assert client.get(reverse("actor_list"), {"role": "boss", "page": "x"}).status_code == 200


def test_an_actor_only_involved_in_drafts_stays_unlisted(client, directory, make_actor):
    hidden = make_actor("Mécène discret")
    Involvement.objects.create(
        initiative=directory["draft"], actor=hidden, role=Involvement.Role.FUNDER
    )
    assert "Mécène discret" not in text_of(client.get(reverse("actor_list")))
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_an_actor_page_groups_what_it_does_by_role_with_places(client, directory):
    response = client.get(directory["departement"].get_absolute_url())
    assert response.status_code == 200
    roles = {
        role: [i.initiative.name for i in involvements]
        for role, heading, involvements, count in response.context["roles"]
    }
    assert roles == {
        Involvement.Role.FUNDER: ["Maison des échanges"],
        Involvement.Role.TAKER: ["Florange Écologie industrielle et Insertion"],
    }
    assert [(region.slug, count) for region, count in response.context["regions"]] == [
        ("grand-est", 1),
        ("hauts-de-france", 1),
    ]
    page = text_of(response)
    assert "?role=funder&amp;actor=departement-du-pas-de-calais" in page


def test_an_actor_page_stays_short_for_a_funder_of_many(
    client, directory, make_initiative, monkeypatch, commit
):
    for number in range(3):
        initiative = make_initiative(f"Atelier {number}")
        with commit():
            Involvement.objects.create(
                initiative=initiative, actor=directory["macif"], role=Involvement.Role.FUNDER
            )
    monkeypatch.setattr(actor_views, "SHOWN_PER_ROLE", 2)
    response = client.get(directory["macif"].get_absolute_url())
    ((role, _heading, involvements, count),) = response.context["roles"]
    assert (role, count) == (Involvement.Role.FUNDER, 4)
    assert [i.initiative.name for i in involvements] == ["Atelier 2", "Atelier 1"]
    assert response.context["initiative_count"] == 4
    assert "Les 2 plus récentes : voir les 4 dans la liste" in text_of(response)


def test_an_actor_page_shows_where_its_initiatives_act(
    client, directory, territories, make_initiative
):
    network = make_initiative("Réseau national")
    network.action_territories.set([territories["france"], territories["grand-est"]])
    Involvement.objects.create(
        initiative=network, actor=directory["macif"], role=Involvement.Role.FUNDER
    )
    directory["fe2i"].action_territories.set([territories["grand-est"]])

    response = client.get(directory["macif"].get_absolute_url())

    acting = [(t.slug, t.count) for t in response.context["action_territories"]]
    assert acting == [("grand-est", 2), ("france", 1)]
    assert "Territoires d'action de ses initiatives :" in response.content.decode()


def test_an_actor_page_leaves_out_unpublished_initiatives(client, directory):
    Involvement.objects.create(
        initiative=directory["archived"], actor=directory["macif"], role=Involvement.Role.FUNDER
    )
    page = text_of(client.get(directory["macif"].get_absolute_url()))
    assert "Projet archivé" not in page


# Private data


def test_the_search_does_not_reveal_contact_details(client, directory):
    ActorContact.objects.update_or_create(
        actor=directory["macif"], defaults={"name": "Contact secret"}
    )
    response = client.get(reverse("initiative_list"), {"q": "Contact secret"})
    assert card_names(response) == []


# Language


def test_pages_are_french_by_default_and_english_under_en(client, directory):
    # The address decides, not the browser's Accept-Language: a shared cache can keep both.
    french = client.get(reverse("home"), headers={"accept-language": "en"})
    assert '<html lang="fr">' in french.content.decode()
    with translation.override("en"):
        url = reverse("initiative_detail", args=["fe2i"])
    assert url == "/en/initiatives/fe2i/"
    assert '<html lang="en">' in client.get(url).content.decode()


def test_the_initiative_page_names_its_places_and_where_else_it_acts(
    client, directory, territories, commit
):
    with commit():
        directory["maison"].action_territories.set(
            [territories["pas-de-calais"], territories["grand-est"]]
        )
    response = client.get(directory["maison"].get_absolute_url())
    places = [t.name for t in response.context["places"]]
    assert places == ["Bruay-la-Buissière", "Pas-de-Calais", "Hauts-de-France"]
    acting = [t.name for t in response.context["action_territories"]]
    assert acting == ["Grand Est", "Pas-de-Calais"]
    page = text_of(response)
    assert '<a href="/territoires/grand-est/">Grand Est</a>' in page


def test_a_territory_moved_shows_its_new_ancestors_in_the_filters(
    client, directory, territories, commit
):
    def ancestors():
        response = client.get(reverse("initiative_list"), {"territory": "pas-de-calais"})
        return [t.slug for t in response.context["facets"].territory_ancestors]

    assert ancestors() == ["france", "hauts-de-france"]  # now cached
    with commit():
        territories["pas-de-calais"].parent = territories["grand-est"]
        territories["pas-de-calais"].save()
    assert ancestors() == ["france", "grand-est"]


def test_the_facets_read_as_the_cards_do_and_the_position_filter_says_what_it_means(
    client, directory
):
    page = text_of(client.get(reverse("initiative_list")))
    # Stages, legal forms and roles start with a capital, as on the cards.
    assert re.search(r'for="filter-stage-consolidation">Consolidation <span', page)
    assert re.search(r'<option value="funder">Bailleur de fonds</option>', page)
    assert '<legend id="filter-located-legend">Sur la carte</legend>' in page
    options = re.search(r'<select id="filter-located".*?</select>', page, re.S).group(0)
    assert re.findall(r">([^<]+)</option>", options) == [
        "Toutes, placées ou non",
        "Placées sur la carte",
        "Sans position",
    ]
