"""The FilterSet behind the list, the map and the exports, tested directly."""

import pytest
from django.http import QueryDict

from actors.models import Involvement
from initiatives import counts, filters, views
from initiatives.filters import InitiativeFilter
from initiatives.models import Initiative
from tests.conftest import create_actor, create_initiative


def filtered(query, queryset=None):
    filterset = InitiativeFilter(
        QueryDict(query), queryset=Initiative.objects.published() if queryset is None else queryset
    )
    return filterset


def slugs(query):
    return sorted(filtered(query).qs.values_list("slug", flat=True))


@pytest.fixture
def legal_forms(directory):
    directory["maison"].legal_form = Initiative.LegalForm.ASSOCIATION
    directory["maison"].save()
    directory["fe2i"].legal_form = Initiative.LegalForm.SCIC
    directory["fe2i"].save()
    return directory


def test_no_filter_gives_every_published_initiative(directory):
    assert slugs("") == ["fe2i", "maison-des-echanges"]


def test_q_searches_names(directory):
    assert slugs("q=maison") == ["maison-des-echanges"]


def test_q_is_accent_and_case_insensitive(directory):
    assert slugs("q=ECOLOGIE") == ["fe2i"]


def test_a_theme_finds_its_initiatives(directory):
    assert slugs("theme=emploi-insertion-formation") == ["fe2i"]


def test_a_parent_theme_includes_its_children(directory):
    # Maison des échanges is filed under Ressourceries, a child of Économie circulaire.
    assert slugs("theme=economie-circulaire-reemploi") == ["fe2i", "maison-des-echanges"]


def test_a_child_theme_does_not_include_its_parent(directory):
    assert slugs("theme=ressourceries") == ["maison-des-echanges"]


def test_repeated_themes_mean_any_of_them(directory):
    assert slugs("theme=ressourceries&theme=emploi-insertion-formation") == [
        "fe2i",
        "maison-des-echanges",
    ]


def test_a_territory_includes_its_whole_subtree(directory):
    assert slugs("territory=hauts-de-france") == ["maison-des-echanges"]
    assert slugs("territory=france") == ["fe2i", "maison-des-echanges"]
    assert slugs("territory=moselle") == ["fe2i"]


def test_a_commune_finds_what_is_located_there(directory):
    assert slugs("territory=bruay-la-buissiere-62178") == ["maison-des-echanges"]


def test_stages_are_repeatable(directory):
    assert slugs("stage=consolidation") == ["maison-des-echanges"]
    assert slugs("stage=consolidation&stage=diffusion") == ["fe2i", "maison-des-echanges"]
    assert slugs("stage=emergence") == []


def test_legal_forms_are_repeatable(legal_forms):
    assert slugs("legal_form=scic") == ["fe2i"]
    assert slugs("legal_form=scic&legal_form=association") == ["fe2i", "maison-des-echanges"]


def test_role_and_actor_together_mean_this_actor_in_this_role(directory):
    # The Département funds Maison des échanges and adopts FE2I.
    assert slugs("role=funder&actor=departement-du-pas-de-calais") == ["maison-des-echanges"]
    assert slugs("role=taker&actor=departement-du-pas-de-calais") == ["fe2i"]
    assert slugs("role=funder&actor=fondation-macif") == ["fe2i"]
    assert slugs("role=carrier&actor=fondation-macif") == []


def test_an_actor_alone_means_in_any_role(directory):
    assert slugs("actor=departement-du-pas-de-calais") == ["fe2i", "maison-des-echanges"]


def test_an_actor_is_found_by_its_name_as_the_filter_form_sends_it(directory):
    # The form's field suggests names; links give slugs. Case and spaces do not matter.
    assert slugs("actor=Fondation+Macif") == ["fe2i"]
    assert slugs("actor=+fondation+macif+&role=funder") == ["fe2i"]


def test_an_actor_name_that_is_not_one_is_reported(directory):
    filterset = filtered("actor=Fondation+Mac")
    assert filterset.form.errors["actor"] == [
        "Aucun acteur ne s’appelle « Fondation Mac » : choisissez-en un parmi les suggestions."
    ]
    assert filterset.qs.count() == 2  # ignored, the other filters still apply


def test_a_name_that_two_actors_share_asks_for_the_one_meant(directory):
    namesake = create_actor("Fondation MACIF", slug="fondation-macif-2")
    Involvement.objects.create(
        initiative=directory["maison"], actor=namesake, role=Involvement.Role.SUPPORT
    )
    filterset = filtered("actor=fondation+macif")
    assert "actor" in filterset.form.errors
    assert "Plusieurs acteurs" in filterset.form.errors["actor"][0]
    assert slugs("actor=fondation-macif") == ["fe2i"]  # its slug still says which


def test_a_role_alone_means_someone_plays_it(directory):
    assert slugs("role=support") == ["maison-des-echanges"]
    assert slugs("role=taker") == ["fe2i"]


def test_years_bound_the_start(directory):
    assert slugs("year_min=2010") == ["maison-des-echanges"]
    assert slugs("year_max=2010") == ["fe2i"]
    assert slugs("year_min=2009&year_max=2012") == ["fe2i", "maison-des-echanges"]


def test_located_separates_initiatives_with_and_without_a_point(directory):
    Initiative.objects.filter(slug="fe2i").update(latitude=None, longitude=None)

    assert slugs("located=true") == ["maison-des-echanges"]
    assert slugs("located=false") == ["fe2i"]
    assert slugs("located=") == ["fe2i", "maison-des-echanges"]
    odd = filtered("located=maybe")
    assert sorted(odd.qs.values_list("slug", flat=True)) == ["fe2i", "maison-des-echanges"]
    assert "located" in odd.form.errors


def test_filters_combine(directory):
    query = "theme=economie-circulaire-reemploi&territory=france&stage=diffusion&role=funder"
    assert slugs(query) == ["fe2i"]
    assert slugs(query + "&year_min=2010") == []


def test_sort_by_name_newest_and_oldest(directory, make_initiative):
    make_initiative("Atelier vélo")
    by = {sort: [i.slug for i in filtered(f"sort={sort}").qs] for sort in ("name", "newest")}
    assert by["name"] == ["atelier-velo", "fe2i", "maison-des-echanges"]
    assert by["newest"][0] == "atelier-velo"
    assert [i.slug for i in filtered("sort=oldest").qs][-1] == "atelier-velo"


def test_invalid_values_are_reported_and_ignored(directory):
    filterset = filtered("theme=nope&year_min=abc&stage=consolidation&territory[]=x&role=boss")
    assert set(filterset.form.errors) == {"theme", "year_min", "role"}
    # The valid filter still applies.
    assert [i.slug for i in filterset.qs] == ["maison-des-echanges"]


def test_an_unknown_territory_or_actor_is_an_error_not_a_crash(directory):
    filterset = filtered("territory=atlantis&actor=nobody")
    assert set(filterset.form.errors) == {"territory", "actor"}
    assert filterset.qs.count() == 2


def test_a_year_out_of_range_is_an_error(directory):
    assert "year_min" in filtered("year_min=99999999999999").form.errors


def test_a_very_long_query_is_an_error(directory):
    assert "q" in filtered("q=" + "a" * 500).form.errors


def test_the_filter_never_widens_the_queryset_it_is_given(directory):
    archived = Initiative.objects.filter(status=Initiative.Status.ARCHIVED)
    assert list(filtered("", archived).qs) == [directory["archived"]]
    assert list(filtered("stage=consolidation", archived).qs) == []


class TestFacets:
    def test_stage_counts_ignore_the_stage_filter_but_apply_the_others(self, directory):
        facets = filtered("stage=consolidation").facets()
        stages = {option.value: (option.count, option.selected) for option in facets.stages}
        assert stages == {"consolidation": (1, True), "diffusion": (1, False)}

        facets = filtered("stage=consolidation&territory=moselle").facets()
        assert {option.value: option.count for option in facets.stages} == {
            "consolidation": 0,
            "diffusion": 1,
        }

    def test_theme_counts_apply_the_other_filters(self, directory):
        facets = filtered("stage=diffusion").facets()
        counts = {theme.slug: theme.count for theme in facets.themes}
        assert counts["economie-circulaire-reemploi"] == 1
        assert counts["emploi-insertion-formation"] == 1

    def test_a_parent_theme_counts_each_initiative_of_its_family_once(self, directory):
        directory["maison"].themes.add(
            directory["fe2i"].themes.get(slug="economie-circulaire-reemploi")
        )
        facets = filtered("").facets()
        circular = next(t for t in facets.themes if t.slug == "economie-circulaire-reemploi")
        assert circular.count == 2
        assert [(sub.slug, sub.count) for sub in circular.subthemes] == [("ressourceries", 1)]

    def test_selected_themes_are_marked(self, directory):
        facets = filtered("theme=ressourceries").facets()
        circular = next(t for t in facets.themes if t.slug == "economie-circulaire-reemploi")
        assert not circular.selected
        assert circular.subthemes[0].selected

    def test_without_a_territory_the_regions_are_counted(self, directory):
        facets = filtered("").facets()
        assert [(t.slug, count) for t, count in facets.territories] == [
            ("grand-est", 1),
            ("hauts-de-france", 1),
        ]
        assert facets.territory is None

    def test_with_a_territory_its_children_are_counted_and_its_ancestors_listed(self, directory):
        facets = filtered("territory=hauts-de-france").facets()
        assert facets.territory.slug == "hauts-de-france"
        assert [t.slug for t in facets.territory_ancestors] == ["france"]
        assert [(t.slug, count) for t, count in facets.territories] == [("pas-de-calais", 1)]

    def test_territory_counts_apply_the_other_filters(self, directory):
        facets = filtered("stage=diffusion").facets()
        assert [(t.slug, count) for t, count in facets.territories] == [("grand-est", 1)]

    def test_actor_counts_follow_the_chosen_role(self, directory):
        facets = filtered("role=funder").facets()
        assert [(o.value, o.count) for o in facets.actors] == [
            ("departement-du-pas-de-calais", 1),
            ("fondation-macif", 1),
        ]
        everyone = filtered("").facets()
        assert ("departement-du-pas-de-calais", 2) in [(o.value, o.count) for o in everyone.actors]

    def test_the_chosen_actor_stays_listed_when_nothing_matches(self, directory):
        facets = filtered("role=carrier&actor=fondation-macif").facets()
        assert [(o.value, o.count, o.selected) for o in facets.actors][0] == (
            "fondation-macif",
            0,
            True,
        )

    def test_only_the_most_involved_actors_are_offered(self, directory, monkeypatch):
        monkeypatch.setattr(filters, "ACTOR_FACET_LIMIT", 1)

        facets = filtered("").facets()
        assert [(o.value, o.count) for o in facets.actors] == [("departement-du-pas-de-calais", 2)]
        assert facets.actors_left_out

        chosen = filtered("actor=fondation-macif").facets()
        assert [(o.value, o.count, o.selected) for o in chosen.actors] == [
            ("fondation-macif", 1, True),
            ("departement-du-pas-de-calais", 2, False),
        ]

    def test_drafts_and_archived_initiatives_are_never_counted(self, directory):
        Involvement.objects.create(
            initiative=directory["draft"],
            actor=directory["macif"],
            role=Involvement.Role.FUNDER,
        )
        facets = filtered("role=funder").facets()
        assert ("fondation-macif", 1) in [(o.value, o.count) for o in facets.actors]

    def test_invalid_filters_do_not_break_the_facets(self, directory):
        facets = filtered("theme=nope&year_min=abc&territory=atlantis").facets()
        assert sum(option.count for option in facets.stages) == 2


class TestFacetsOfManyResults:
    """Past counts.SAMPLE_SIZE results, the facets are estimated from the results of whole
    sample slots (an initiative's slot: its id modulo SAMPLE_SLOTS), scaled up."""

    @pytest.fixture
    def sample(self, directory, commit, monkeypatch):
        # Four slots; 16 initiatives started in 1900, four in each slot (ids 1000 to 1015).
        monkeypatch.setattr(counts, "SAMPLE_SLOTS", 4)
        monkeypatch.setattr(counts, "SAMPLE_SIZE", 5)
        in_first_slot = [Initiative.Stage.DIFFUSION] * 3 + [Initiative.Stage.CONSOLIDATION]
        with commit():
            for pk in range(1000, 1016):
                stage = in_first_slot[(pk - 1000) // 4] if pk % 4 == 0 else "emergence"
                create_initiative(f"Initiative {pk}", pk=pk, year_started=1900, stage=stage)

    def test_they_are_estimated_from_the_slots_read_whole(self, sample):
        # Six rows read in slot order: slot 0's four, then two of slot 1, which is cut.
        facets = filtered("year_min=1900&year_max=1900").facets()
        assert facets.total == 16 and isinstance(facets.total, counts.Estimate)
        stages = {option.value: option.count for option in facets.stages}
        assert stages == {"diffusion": 12, "consolidation": 4}
        assert all(isinstance(option.count, counts.Estimate) for option in facets.stages)

    def test_a_few_results_are_counted_exactly(self, sample):
        facets = filtered("year_min=1900&year_max=1900&stage=consolidation").facets()
        assert facets.total == 1 and not isinstance(facets.total, counts.Estimate)
        # The stages leave the stage out: the sixteen, estimated.
        assert {o.value: o.count for o in facets.stages}["diffusion"] == 12

    def test_in_a_large_directory_they_are_first_looked_for_in_its_first_slots(
        self, sample, monkeypatch
    ):
        # The 18 published initiatives hold 4.5 per slot: the first slot holds about 4.
        monkeypatch.setattr(counts, "SAMPLE_FROM", 4)
        facets = filtered("year_min=1900&year_max=1900").facets()
        assert (facets.total, dict((o.value, o.count) for o in facets.stages)) == (
            16,
            {"diffusion": 12, "consolidation": 4},
        )
        # One in the first slot, so about four in all, fewer than SAMPLE_SIZE: read again in
        # every slot, and counted exactly.
        facets = filtered("year_min=1900&year_max=1900&stage=consolidation").facets()
        assert facets.total == 1 and not isinstance(facets.total, counts.Estimate)

    def test_the_list_says_they_are_estimates(self, client, sample):
        response = client.get("/initiatives/", {"year_min": "1900", "year_max": "1900"})
        text = response.content.decode()
        assert "≈\u00a016 initiatives" in text
        assert 'Essaimage / diffusion <span class="facet-count">(≈\u00a012)</span>' in text

    def test_every_result_is_reached_page_after_page_whatever_the_estimate(
        self, client, sample, monkeypatch, commit
    ):
        # Six more in slot 1: 22 results, estimated 16 from slot 0, so four pages of five,
        # where there are five.
        with commit():
            for pk in range(1017, 1041, 4):
                create_initiative(f"Initiative {pk}", pk=pk, year_started=1900)
        monkeypatch.setattr(views.InitiativeListView, "paginate_by", 5)
        seen, page = [], 1
        while True:
            response = client.get(
                "/initiatives/", {"year_min": "1900", "year_max": "1900", "page": page}
            )
            seen += [initiative.pk for initiative in response.context["page_obj"].object_list]
            if not response.context["page_obj"].has_next():
                break
            page += 1
        assert sorted(seen) == [*range(1000, 1016), *range(1017, 1041, 4)]
        assert page == 5
        # Past the results, the page says so.
        response = client.get("/initiatives/", {"year_min": "1900", "year_max": "1900", "page": 9})
        assert "Cette page est au-delà des derniers résultats." in response.content.decode()
