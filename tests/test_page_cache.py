"""Whole public pages from the cache until the directory changes (DirectoryPageCacheMiddleware)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.CACHE_PAGES = True


def test_a_page_seen_again_runs_no_view_until_a_write(
    client, directory, commit, django_assert_num_queries
):
    url = reverse("initiative_list")
    first = client.get(url)
    assert "Maison des échanges" in first.content.decode()
    with django_assert_num_queries(1):  # the directory version
        again = client.get(url)
    assert again.content == first.content
    directory["maison"].name = "Maison des partages"
    with commit():
        directory["maison"].save()
    assert "Maison des partages" in client.get(url).content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/initiatives/", "/carte/", "/api/map/?bbox=-180,-90,180,90&zoom=3"]
)
def test_a_page_reads_the_directory_version_once(client, directory, url):
    # freshness.current_version(): the page cache's key, the cached figures' keys and the
    # map's ETag share one read per request.
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    reads = [q for q in queries.captured_queries if "initiatives_directoryversion" in q["sql"]]
    assert len(reads) == 1


def test_a_cached_answer_still_revalidates_with_its_etag(client, directory):
    url = "/api/map/?bbox=-180,-90,180,90&zoom=3"
    etag = client.get(url)["ETag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304


def test_a_curator_always_gets_a_fresh_page(curator_client, directory):
    url = reverse("initiative_list")
    curator_client.get(url)
    response = curator_client.get(url)
    assert response.status_code == 200
    assert "page_obj" in response.context  # the view ran


def test_each_address_has_its_own_page(client, directory):
    assert "Maison des échanges" in client.get("/initiatives/").content.decode()
    assert "Maison des échanges" not in client.get("/initiatives/?q=florange").content.decode()
    english = client.get("/en/initiatives/").content.decode()
    assert 'lang="en"' in english
