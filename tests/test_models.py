import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from actors.models import Involvement
from initiatives.models import (
    Initiative,
    SourceIdentifier,
    Territory,
    Theme,
)
from tests.conftest import square_outline


def test_a_territory_path_follows_its_ancestors(territories):
    assert territories["bruay"].path == (
        "france/hauts-de-france/pas-de-calais/bruay-la-buissiere-62178/"
    )
    assert territories["bruay"].depth == 3


def test_the_subtree_of_a_region_is_one_query(territories, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = set(
            Territory.objects.subtree_of(territories["hauts-de-france"]).values_list(
                "name", flat=True
            )
        )
    assert names == {"Hauts-de-France", "Pas-de-Calais", "Bruay-la-Buissière"}


def test_ancestors_come_from_the_root_down(territories):
    ancestors = Territory.objects.ancestors_of(territories["bruay"])
    assert [t.slug for t in ancestors] == [
        "france",
        "hauts-de-france",
        "pas-de-calais",
        "bruay-la-buissiere-62178",
    ]


def test_moving_a_territory_moves_its_subtree(territories):
    pdc = territories["pas-de-calais"]
    pdc.parent = territories["grand-est"]
    pdc.save()
    territories["bruay"].refresh_from_db()
    assert territories["bruay"].path == "france/grand-est/pas-de-calais/bruay-la-buissiere-62178/"
    assert territories["bruay"].depth == 3


def test_a_territory_cannot_be_placed_inside_its_own_subtree(territories):
    hdf = territories["hauts-de-france"]
    hdf.parent = territories["bruay"]
    with pytest.raises(ValidationError):
        hdf.full_clean()


def test_an_official_code_is_unique_per_kind_within_a_country(territories):
    with pytest.raises(IntegrityError), transaction.atomic():
        Territory.objects.create(
            slug="autre-62", name="Autre", kind=Territory.Kind.DEPARTEMENT, code="62", country="FR"
        )
    # The same code in another country or of another kind is fine.
    Territory.objects.create(
        slug="quebec-62", name="Ailleurs", kind=Territory.Kind.DEPARTEMENT, code="62", country="CA"
    )
    Territory.objects.create(
        slug="region-62", name="Région 62", kind=Territory.Kind.REGION, code="62", country="FR"
    )


def test_the_database_refuses_coordinates_out_of_range(territories, make_initiative):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_initiative("Hors du monde", latitude=91, longitude=2)


def test_the_database_refuses_half_a_point(make_initiative):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_initiative("Sans longitude", latitude=45)


def test_the_form_validation_explains_a_half_point(db):
    initiative = Initiative(name="Sans longitude", slug="sans-longitude", summary="x", latitude=45)
    with pytest.raises(ValidationError, match="la latitude et la longitude"):
        initiative.full_clean()


def test_the_database_refuses_an_unknown_stage(make_initiative):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_initiative("Étape inconnue", stage="invented")


def test_a_summary_is_at_most_280_characters(db):
    initiative = Initiative(name="Long", slug="long", summary="x" * 281)
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert "summary" in error.value.message_dict


def test_slugs_are_unique(make_initiative):
    make_initiative("Fe2i", slug="fe2i")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_initiative("Autre Fe2i", slug="fe2i")


def test_the_same_role_twice_is_refused_by_the_database(directory):
    with pytest.raises(IntegrityError), transaction.atomic():
        Involvement.objects.create(
            initiative=directory["maison"],
            actor=directory["departement"],
            role=Involvement.Role.FUNDER,
        )


def test_one_actor_holds_several_roles_on_several_initiatives(directory):
    Involvement.objects.create(
        initiative=directory["maison"],
        actor=directory["departement"],
        role=Involvement.Role.SUPPORT,
    )
    roles = set(directory["departement"].involvements.values_list("initiative__slug", "role"))
    assert roles == {
        ("maison-des-echanges", "funder"),
        ("maison-des-echanges", "support"),
        ("fe2i", "taker"),
    }


def test_only_a_preneur_has_a_kind_of_preneur(directory):
    with pytest.raises(IntegrityError), transaction.atomic():
        Involvement.objects.create(
            initiative=directory["fe2i"],
            actor=directory["godin"],
            role=Involvement.Role.SUPPORT,
            taker_kind=Involvement.TakerKind.BENEFICIARY,
        )


def test_only_a_funder_gives_an_amount(directory):
    with pytest.raises(IntegrityError), transaction.atomic():
        Involvement.objects.create(
            initiative=directory["fe2i"],
            actor=directory["godin"],
            role=Involvement.Role.SUPPORT,
            amount=1000,
        )
    involvement = Involvement(
        initiative=directory["fe2i"], actor=directory["godin"], role="support", amount=10
    )
    with pytest.raises(ValidationError) as error:
        involvement.full_clean()
    assert "amount" in error.value.message_dict


def test_the_database_refuses_an_unknown_role(directory):
    with pytest.raises(IntegrityError), transaction.atomic():
        Involvement.objects.create(
            initiative=directory["fe2i"], actor=directory["godin"], role="sponsor"
        )


def test_an_identifier_names_one_initiative_per_source(directory):
    directory["fe2i"].source_identifiers.create(source="transiscope", identifier="4f2a")
    directory["maison"].source_identifiers.create(source="cress-hdf", identifier="4f2a")
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceIdentifier.objects.create(
            initiative=directory["maison"], source="transiscope", identifier="4f2a"
        )


def test_initiatives_are_found_by_slug_or_by_source_identifier(
    directory, django_assert_num_queries
):
    directory["fe2i"].source_identifiers.create(source="transiscope", identifier="4f2a")
    directory["maison"].source_identifiers.create(source="cress-hdf", identifier="MDE-12")
    # cress-hdf:4f2a and transiscope:MDE-12 cross the two stored pairs: neither exists.
    references = {
        "maison-des-echanges",
        "transiscope:4f2a",
        "cress-hdf:4f2a",
        "transiscope:MDE-12",
        "nope",
        "x:y",
    }

    with django_assert_num_queries(2):
        found = Initiative.objects.by_reference(references)

    assert found == {
        "maison-des-echanges": directory["maison"],
        "transiscope:4f2a": directory["fe2i"],
    }


def test_only_published_initiatives_are_public(directory):
    assert set(Initiative.objects.published()) == {directory["maison"], directory["fe2i"]}


def test_initiatives_located_in_a_region_include_its_communes(directory, territories):
    located = Initiative.objects.located_in(territories["hauts-de-france"])
    assert list(located) == [directory["maison"]]


def test_a_national_network_acts_in_every_region(directory, territories, make_initiative):
    network = make_initiative("Réseau national")
    network.action_territories.set([territories["france"]])
    assert network in Initiative.objects.acting_in(territories["pas-de-calais"])
    assert network not in Initiative.objects.located_in(territories["pas-de-calais"])


def test_publishing_in_bulk_stamps_the_first_publication_date(directory):
    draft = directory["draft"]
    assert draft.published_at is None
    Initiative.objects.filter(pk=draft.pk).publish()
    draft.refresh_from_db()
    assert draft.status == Initiative.Status.PUBLISHED
    assert draft.published_at is not None
    first = draft.published_at
    Initiative.objects.filter(pk=draft.pk).unpublish()
    Initiative.objects.filter(pk=draft.pk).publish()
    draft.refresh_from_db()
    assert draft.published_at == first


def test_a_parent_theme_includes_its_sub_themes(themes):
    family = Theme.objects.family_of("economie-circulaire-reemploi")
    assert set(family) == {themes["circular"], themes["ressourceries"]}


def test_themes_have_two_levels_only(themes):
    grandchild = Theme(slug="trop-profond", name="Trop profond", parent=themes["ressourceries"])
    with pytest.raises(ValidationError):
        grandchild.full_clean()


def test_a_point_outside_its_communes_departement_is_noticed_near_the_border(
    directory, territories
):
    maison = directory["maison"]  # at Bruay-la-Buissière's centre, in the Pas-de-Calais
    assert not maison.point_outside_departement()  # no outline imported: cannot tell
    square_outline(territories["pas-de-calais"], 1.6, 50.2, 3.2, 50.8)
    assert not maison.point_outside_departement()
    maison.latitude = 50.1  # 43 km south, over the border: not far, but outside
    assert not maison.point_far_from_commune()
    assert maison.point_outside_departement()


def test_a_point_far_from_its_commune_is_noticed(directory, territories):
    maison = directory["maison"]  # at Bruay-la-Buissière's centre
    assert maison.kilometres_from_commune() == pytest.approx(0, abs=0.01)
    assert not maison.point_far_from_commune()
    maison.latitude, maison.longitude = 49.3236, 6.1208  # Florange, in Moselle
    assert maison.kilometres_from_commune() == pytest.approx(286, abs=3)
    assert maison.point_far_from_commune()
    maison.latitude = maison.longitude = None
    assert maison.kilometres_from_commune() is None and not maison.point_far_from_commune()
