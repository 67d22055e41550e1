"""Photos and logos: uploaded by curators in the admin, resized once on save to two WebP
sizes through the storage API, shown with their size, description and lazy loading."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from actors.models import Actor
from initiatives.models import Initiative
from tests.forms import form_data


def photo(width=2400, height=1600, format="JPEG", name="photo.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{format.lower()}")


def post_change(client, obj, form_id, **changes):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = form_data(client.get(url), form_id)
    data.update(changes)
    return client.post(url, data)


def stored_size(field):
    with default_storage.open(field.name) as stored, Image.open(stored) as image:
        return image.format, image.size


def test_a_curator_uploads_a_photo_resized_to_two_sizes(curator_client, directory, commit):
    with commit():
        response = post_change(
            curator_client,
            directory["maison"],
            "initiative_form",
            image=photo(),
            image_alt="La boutique de la Maison des échanges",
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    initiative = Initiative.objects.get(pk=directory["maison"].pk)
    assert stored_size(initiative.image) == ("WEBP", (1200, 800))
    assert stored_size(initiative.thumbnail) == ("WEBP", (480, 320))
    assert (initiative.image_width, initiative.image_height) == (1200, 800)
    assert (initiative.thumbnail_width, initiative.thumbnail_height) == (480, 320)
    assert initiative.image.name.startswith("initiative/")

    # Saved again without a new file: not resized again, the same files.
    names = (initiative.image.name, initiative.thumbnail.name)
    with commit():
        post_change(curator_client, initiative, "initiative_form", summary="Un résumé neuf.")
    initiative.refresh_from_db()
    assert (initiative.image.name, initiative.thumbnail.name) == names


def test_cards_and_pages_show_the_images_with_their_size(client, curator_client, directory, commit):
    with commit():
        post_change(
            curator_client,
            directory["maison"],
            "initiative_form",
            image=photo(),
            image_alt="La boutique",
        )
    initiative = Initiative.objects.get(pk=directory["maison"].pk)
    card = (
        f'<img class="card-image" src="{initiative.thumbnail.url}" width="480" height="320" '
        'alt="La boutique" loading="lazy">'
    )
    assert card in client.get(reverse("initiative_list")).content.decode()
    assert card in client.get(reverse("home")).content.decode()
    page = client.get(initiative.get_absolute_url()).content.decode()
    assert f'src="{initiative.image.url}" width="1200" height="800" alt="La boutique"' in page


def test_an_image_needs_its_description(curator_client, directory):
    response = post_change(
        curator_client, directory["maison"], "initiative_form", image=photo(), image_alt=" "
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["image_alt"] == ["Décrivez l’image pour les personnes qui ne la voient pas."]
    assert not Initiative.objects.get(pk=directory["maison"].pk).image


def test_a_file_that_is_not_an_image_is_refused_with_a_message(curator_client, directory):
    response = post_change(
        curator_client,
        directory["maison"],
        "initiative_form",
        image=SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", "image/jpeg"),
        image_alt="Une photo",
    )
    assert response.status_code == 200
    assert "image" in response.context["adminform"].form.errors
    assert not Initiative.objects.get(pk=directory["maison"].pk).image


@pytest.mark.parametrize("format", ["PNG", "WEBP"])
def test_an_actor_logo_keeps_a_small_image_small(curator_client, directory, commit, format):
    macif = directory["macif"]
    with commit():
        response = post_change(
            curator_client,
            macif,
            "actor_form",
            image=photo(300, 100, format, f"logo.{format.lower()}"),
            image_alt="Logo de la Fondation Macif",
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    macif = Actor.objects.get(pk=macif.pk)
    # Never enlarged: both copies keep the logo's own size.
    assert stored_size(macif.image) == ("WEBP", (300, 100))
    assert stored_size(macif.thumbnail) == ("WEBP", (300, 100))
    page = curator_client.get(macif.get_absolute_url()).content.decode()
    assert f'src="{macif.thumbnail.url}" width="300" height="100"' in page
    # The list of actors shows it beside the name.
    listed = curator_client.get(reverse("actor_list")).content.decode()
    assert (
        f'<img class="actor-list-logo" src="{macif.thumbnail.url}" width="300" height="100" '
        'alt="Logo de la Fondation Macif" loading="lazy">'
    ) in listed


def test_removing_the_image_removes_its_thumbnail(curator_client, directory, commit):
    with commit():
        post_change(
            curator_client, directory["maison"], "initiative_form", image=photo(), image_alt="x"
        )
    with commit():
        response = post_change(
            curator_client, directory["maison"], "initiative_form", **{"image-clear": "on"}
        )
    assert response.status_code == 302
    initiative = Initiative.objects.get(pk=directory["maison"].pk)
    assert not initiative.image and not initiative.thumbnail
    assert initiative.thumbnail_width is None
