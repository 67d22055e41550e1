"""Full-text search on both databases, then what only PostgreSQL does: stems, ranks, typos."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from actors.models import Involvement
from initiatives import filters, views
from initiatives.freshness import directory_changed
from initiatives.models import Initiative, Territory
from initiatives.search import normalise, words_of

postgresql_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def card_slugs(response):
    return [initiative.slug for initiative in response.context["page_obj"].object_list]


def found(text):
    return [initiative.slug for initiative in Initiative.objects.published().search(text)]


def test_normalising_lowers_and_strips_accents_but_keeps_punctuation():
    assert (
        normalise("  L'Écologie\tINDUSTRIELLE, à Œuilly ") == "l'ecologie industrielle, a oeuilly"
    )
    assert words_of("Pas-de-Calais, Écologie!") == "pas de calais ecologie"


class TestOnEveryDatabase:
    def test_a_word_of_the_name_finds_the_initiative(self, directory):
        assert found("maison") == ["maison-des-echanges"]

    def test_accents_and_case_do_not_matter(self, directory):
        assert found("ecologie") == ["fe2i"]
        assert found("ÉCOLOGIE Industrielle") == ["fe2i"]
        assert found("échanges") == ["maison-des-echanges"]

    def test_the_summary_and_description_are_searched(self, directory, commit):
        directory["fe2i"].description = "Une plateforme de réemploi des déchets de chantier."
        with commit():
            directory["fe2i"].save()
        assert found("dechets chantier") == ["fe2i"]

    def test_the_name_of_an_actor_finds_its_initiatives(self, directory):
        assert found("Fondation Macif") == ["fe2i"]
        assert found("godin") == ["maison-des-echanges"]

    def test_the_names_of_the_places_find_the_initiatives_there(self, directory):
        assert found("Bruay-la-Buissière") == ["maison-des-echanges"]
        assert found("Hauts-de-France") == ["maison-des-echanges"]
        assert found("moselle") == ["fe2i"]

    def test_a_territory_of_action_is_searched(self, directory, territories, commit):
        with commit():
            directory["fe2i"].action_territories.add(territories["bruay"])
        assert sorted(found("bruay")) == ["fe2i", "maison-des-echanges"]
        with commit():
            directory["fe2i"].action_territories.remove(territories["bruay"])
        assert found("bruay") == ["maison-des-echanges"]
        with commit():
            territories["bruay"].acting_initiatives.add(directory["fe2i"])
        assert sorted(found("bruay")) == ["fe2i", "maison-des-echanges"]

    def test_a_new_involvement_makes_the_actor_findable(self, directory, make_actor, commit):
        actor = make_actor("Coopérative Zébulon")
        with commit():
            involvement = Involvement.objects.create(
                initiative=directory["maison"], actor=actor, role=Involvement.Role.SUPPORT
            )
        assert found("zebulon") == ["maison-des-echanges"]
        with commit():
            involvement.delete()
        assert found("zebulon") == []

    def test_renaming_an_actor_refreshes_its_initiatives(self, directory, commit):
        macif = directory["macif"]
        macif.name = "Fondation Zéphyr"
        with commit():
            macif.save()
        assert found("zephyr") == ["fe2i"]
        assert found("macif") == []

    def test_renaming_a_territory_refreshes_the_initiatives_below_it(self, directory, commit):
        region = Territory.objects.get(slug="hauts-de-france")
        region.name = "Nord-Picardie"
        with commit():
            region.save()
        assert found("picardie") == ["maison-des-echanges"]

    def test_a_theme_and_its_parent_find_the_initiatives_carrying_it(self, directory):
        assert found("ressourceries") == ["maison-des-echanges"]
        # "Économie circulaire & réemploi": fe2i's theme, and the parent of maison's.
        assert sorted(found("réemploi")) == ["fe2i", "maison-des-echanges"]

    def test_themes_added_and_renamed_are_searched(self, directory, themes, commit):
        with commit():
            directory["fe2i"].themes.add(themes["ressourceries"])
        assert sorted(found("ressourceries")) == ["fe2i", "maison-des-echanges"]
        circular = themes["circular"]
        circular.name = "Recyclerie et sobriété"
        with commit():
            circular.save()
        # Renaming a top-level theme reaches the initiatives of its sub-themes too.
        assert sorted(found("sobriete")) == ["fe2i", "maison-des-echanges"]
        assert found("reemploi") == []

    def test_a_search_that_finds_nothing_suggests_close_words_on_sqlite(
        self, client, directory, make_initiative
    ):
        # On PostgreSQL, the trigram search finds the typo's initiatives themselves.
        make_initiative("Projet discret", status=Initiative.Status.DRAFT, summary="Zanzibar")
        if connection.vendor == "postgresql":
            response = client.get(reverse("initiative_list"), {"q": "ressourcrie"})
            assert card_slugs(response) == ["maison-des-echanges"]
            assert response.context["suggested_search"] is None
            return
        response = client.get(reverse("initiative_list"), {"q": "ressourcrie bruay", "stage": ""})
        assert card_slugs(response) == []
        assert response.context["suggested_search"] == "ressourceries bruay"
        page = response.content.decode()
        assert 'Vouliez-vous dire <a href="?q=ressourceries+bruay&amp;stage=">' in page
        assert card_slugs(client.get(reverse("initiative_list"), {"q": "ressourceries bruay"})) == [
            "maison-des-echanges"
        ]
        # Only the published directory's words are offered; nothing close, nothing offered.
        zanzibar = client.get(reverse("initiative_list"), {"q": "zanzibarr"})
        assert zanzibar.context["suggested_search"] is None
        assert "Vouliez-vous dire" not in zanzibar.content.decode()

    def test_drafts_are_not_found_by_the_public(self, directory):
        assert found("brouillon") == []

    def test_a_query_of_punctuation_only_filters_nothing(self, directory):
        assert sorted(found("?!")) == ["fe2i", "maison-des-echanges"]

    def test_a_hostile_query_is_plain_text(self, directory):
        assert found("'; DROP TABLE initiatives_initiative; --") == []
        assert found('"unbalanced quote -or') == []

    def test_a_bulk_update_is_found_once_announced(self, directory, commit):
        # The description reaches the search only through the stored document.
        with commit():
            Initiative.objects.filter(pk=directory["fe2i"].pk).update(
                description="Symbiose portuaire"
            )
        assert found("symbiose") == []
        with commit():
            directory_changed([directory["fe2i"].pk])
        assert found("symbiose") == ["fe2i"]


class TestOnPostgreSQL:
    pytestmark = postgresql_only

    @pytest.mark.parametrize("query", ["recycler", "recyclent", "recycle"])
    def test_french_stemming_finds_other_forms_of_a_word(self, query, make_initiative):
        make_initiative("Atelier", summary="On y recycle les vélos.")
        assert found(query) == ["atelier"]

    def test_a_match_in_the_name_ranks_before_one_in_the_description(self, make_initiative):
        make_initiative("Jardin partagé", description="Un compost collectif au fond du jardin.")
        make_initiative("Compost de quartier", summary="Des bacs en pied d'immeuble.")
        assert found("compost") == ["compost-de-quartier", "jardin-partage"]

    def test_every_word_must_match(self, directory):
        assert found("maison florange") == []

    def test_web_search_syntax_excludes_words(self, directory):
        assert found("ecologie -florange") == []
        assert found('"ecologie industrielle"') == ["fe2i"]

    def test_an_excluded_word_is_not_brought_back_by_the_typo_fallback(self, directory):
        assert found("maison -bruay") == []

    def test_a_typo_is_forgiven_when_nothing_matches_exactly(self, directory):
        assert found("ecollogie") == ["fe2i"]
        assert found("maison des echanjes") == ["maison-des-echanges"]

    def test_the_typo_search_is_never_ored_into_the_indexed_one(self, client, directory):
        # An OR of the two makes PostgreSQL scan every row's search vector: a word that
        # matches runs the indexed query alone; only a word that matches nothing looks
        # for similar words, in a query of its own.
        for words, expected in (("ecologie", "@@"), ("ecollogie", "%>")):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(reverse("initiative_list"), {"q": words})
            assert [i.slug for i in response.context["page_obj"].object_list] == ["fe2i"]
            searching = [q["sql"] for q in queries if "@@" in q["sql"] or "%>" in q["sql"]]
            assert any(expected in sql for sql in searching)
            assert not any("@@" in sql and "%>" in sql for sql in searching)

    def test_the_results_carry_their_rank(self, directory):
        initiative = Initiative.objects.search("ecologie").get()
        assert initiative.search_rank > 0

    def test_the_search_vector_is_generated_by_the_database(self, directory):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT search_vector::text FROM initiatives_initiative WHERE slug = 'fe2i'"
            )
            vector = cursor.fetchone()[0]
        assert "'ecolog':" in vector

    def test_the_search_uses_the_gin_indexes(self, directory):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'initiatives_initiative'"
            )
            indexes = {row[0] for row in cursor.fetchall()}
        assert {"initiative_search_vector", "initiative_search_trigram"} <= indexes


class TestSearchesWithTooManyResultsToRank:
    """Past search.RANKED_AT_MOST results, a search lists those with the words in their name
    first, then the others, each newest first (search.NameFirst): ranking would read every
    match."""

    pytestmark = postgresql_only

    @pytest.fixture
    def matches(self, make_initiative, monkeypatch):
        monkeypatch.setattr(filters, "RANKED_AT_MOST", 2)
        monkeypatch.setattr(views.InitiativeListView, "paginate_by", 2)
        now = timezone.now()
        for days, name, summary in [
            (1, "Compost du marché", ""),
            (3, "Compost de quartier", ""),
            (0, "Jardin partagé", "Un compost collectif."),
            (2, "Recyclerie", "Du compost pour le quartier."),
            (4, "Atelier vélo", "On y composte aussi."),
        ]:
            make_initiative(name, summary=summary, published_at=now - timedelta(days=days))

    def listed(self, client, **parameters):
        response = client.get(reverse("initiative_list"), {"q": "compost", **parameters})
        return [i.slug for i in response.context["page_obj"].object_list], response

    def test_names_holding_the_words_come_first_each_tier_newest_first(self, client, matches):
        assert self.listed(client)[0] == ["compost-du-marche", "compost-de-quartier"]
        # The first tier ends with the first page: the second starts the rest, newest first.
        assert self.listed(client, page=2)[0] == ["jardin-partage", "recyclerie"]
        assert self.listed(client, page=3)[0] == ["atelier-velo"]

    def test_the_list_says_why_they_are_not_ranked(self, client, matches):
        _slugs, response = self.listed(client)
        assert "ceux dont le nom contient vos mots d'abord" in response.content.decode()

    def test_a_search_with_fewer_results_is_ranked(self, client, matches):
        slugs, response = self.listed(client, q="compost quartier")
        assert slugs == ["compost-de-quartier", "recyclerie"]
        assert "ceux dont le nom contient vos mots d'abord" not in response.content.decode()

    def test_another_order_chosen_is_kept(self, client, matches):
        assert self.listed(client, sort="name")[0] == ["atelier-velo", "compost-de-quartier"]
