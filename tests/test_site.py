"""A network runs the directory under its own name, logo, colours, texts and contact
(config/site.py), with a legal notice it edits in the admin."""

import re

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from config.views import server_error
from initiatives.models import LegalNotice
from tests import test_contributions
from tests.test_contributions import EMAIL, propose

NETWORK = {
    "SITE_NAME": "Réseau Alpha",
    "SITE_LOGO_URL": "/media/reseau-alpha.svg",
    "SITE_LOGO_ALT": "Réseau Alpha, accueil",
    "SITE_COLOUR": "#8a1538",
    "SITE_COLOUR_DARK": "#5e0e26",
    "SITE_INTRODUCTION": "Les innovations sociales du réseau Alpha.",
    "SITE_CONTACT_EMAIL": "contact@reseau-alpha.example",
    # Its default is SITE_NAME, read when the settings load.
    "DATA_SOURCE_NAME": "Réseau Alpha",
}


site = test_contributions.site  # the fixture: a directory open to proposals


@pytest.fixture
def network(settings):
    for name, value in NETWORK.items():
        setattr(settings, name, value)


ESSAIM = re.compile(r"\bEssaim\b")


def visible_text(html):
    """What a visitor reads: the page without its tags, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# Not /evaluation/: the shipped grids' notes say they were written for Essaim, which is their
# provenance; they are rows the instance may edit.
PAGES = [
    "/",
    "/initiatives/",
    "/initiatives/maison-des-echanges/",
    "/carte/",
    "/carte/embed/",
    "/territoires/",
    "/acteurs/",
    "/proposer/",
    "/confidentialite/",
    "/mentions-legales/",
    "/api/",
    "/en/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_networks_name_and_never_essaim(client, directory, network, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Réseau Alpha" in html
    # "Essaimage", a stage, is not the name.
    assert not ESSAIM.search(visible_text(html))
    assert not ESSAIM.search(re.search(r"<title>(.*?)</title>", html, re.S).group(1))


def test_the_header_footer_and_home_page_use_the_settings(client, directory, network):
    html = client.get("/").content.decode()
    assert '<img src="/media/reseau-alpha.svg" alt="Réseau Alpha, accueil" height="40">' in html
    assert "Les innovations sociales du réseau Alpha." in html
    footer = re.search(r"<footer.*?</footer>", html, re.S).group(0)
    assert 'href="/mentions-legales/"' in footer and 'href="/confidentialite/"' in footer
    assert 'href="mailto:contact@reseau-alpha.example"' in footer
    stylesheet = re.search(r'<link rel="stylesheet" href="(/site.css)">', html).group(1)
    css = client.get(stylesheet).content.decode()
    assert "--accent: #8a1538;" in css and "--accent-dark: #5e0e26;" in css


def test_without_settings_the_site_is_essaim_with_its_own_colours(client, directory):
    html = client.get("/").content.decode()
    assert '<a class="brand" href="/">Essaim</a>' in html
    assert "/site.css" not in html and "mailto:" not in html


def test_the_legal_notice_is_a_text_the_admin_edits(client, admin_client, directory):
    assert "Hébergeur" in client.get(reverse("legal_notice")).content.decode()
    notice = LegalNotice.objects.get()
    url = reverse("admin:initiatives_legalnotice_change", args=[notice.pk])
    response = admin_client.post(
        url,
        {
            "text": "Éditeur : Réseau Alpha, 1 rue de la Paix.\n\nHébergeur : OVH.",
            "privacy_contact": "Délégué à la protection des données : dpo@reseau-alpha.example",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("legal_notice")).content.decode()
    assert "<p>Éditeur : Réseau Alpha, 1 rue de la Paix.</p>" in page
    privacy = client.get(reverse("privacy")).content.decode()
    assert "<p>Délégué à la protection des données : dpo@reseau-alpha.example</p>" in privacy
    assert client.get("/en/mentions-legales/").status_code == 200
    # One notice: none to add, none to delete.
    assert admin_client.get(reverse("admin:initiatives_legalnotice_add")).status_code == 403


def test_the_open_data_names_the_network_not_essaim(client, directory, network):
    response = client.get(reverse("initiatives_csv"))
    assert response["Content-Disposition"].startswith(
        'attachment; filename="reseau-alpha-initiatives-'
    )
    assert not ESSAIM.search(client.get("/api/openapi.json").content.decode())
    assert "en citant Réseau Alpha comme source" in client.get("/api/").content.decode()


def test_the_static_error_page_and_the_admin_carry_the_name(
    admin_client, directory, network, settings
):
    request = RequestFactory().get("/")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        page = server_error(request).content.decode()
    assert "Réseau Alpha" in page and not ESSAIM.search(page)
    assert '<link rel="stylesheet" href="/site.css">' in page  # its colours
    admin = admin_client.get(reverse("admin:index")).content.decode()
    assert "Réseau Alpha — administration des curateurs" in admin


def test_the_contributors_email_is_signed_with_the_name(client, network, site):
    propose(client, site)
    [to_contributor] = [m for m in mail.outbox if m.to == [EMAIL]]
    assert "Réseau Alpha" in to_contributor.body and not ESSAIM.search(to_contributor.body)
