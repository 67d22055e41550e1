"""The open-data API: the filtered initiatives as CSV, XLSX, JSON pages, GeoJSON and the
GoGoCarto feed, its documentation at /api/ and its OpenAPI description.

Every export takes the list's filters (InitiativeFilter): a bad filter is a 400 that says why,
and a client holding the current version gets a 304 (DirectoryVersion).
"""

from django import forms
from django.conf import settings
from django.http import HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView
from django_ratelimit.core import is_ratelimited

from config.middleware import client_ip

from . import exports, freshness, openapi
from .filters import InitiativeFilter
from .map import error_messages, etag_for
from .models import Initiative, Theme

# Shared caches may keep an answer this long; after that they revalidate with the ETag.
CACHE_SECONDS = 60


def filtered_initiatives(request):
    # By name, then pk: a stable order, so that pages do not overlap. The sort filter, or a
    # search's relevance, comes first when asked.
    published = Initiative.objects.published().order_by("name", "pk")
    return InitiativeFilter(request.GET, queryset=published)


def bad_request(errors):
    summary = " ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return JsonResponse({"error": summary, "errors": errors}, status=400)


def directory_response(request, respond):
    """304 when the directory has not changed since the client's copy, else what respond()
    makes; one primary-key lookup decides (DirectoryVersion). Either way with the data's
    licence in a Link header."""
    # No Last-Modified: the version says whether anything changed, not when.
    etag = etag_for(freshness.current_version(), request.get_full_path())
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = respond()
    response.headers["ETag"] = etag
    response.headers["Link"] = f'<{settings.DATA_LICENCE_URL}>; rel="license"'
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


def json_response(data, **kwargs):
    return JsonResponse(
        data, json_dumps_params={"separators": (",", ":"), "ensure_ascii": False}, **kwargs
    )


def export(request, make, content_type, extension=None):
    """The filtered initiatives' records through make(records, about): bytes, or pieces of
    text to stream. With an extension, a file to download under that name.

    A whole file costs seconds of a worker: at most EXPORT_RATE_LIMIT per address, then a
    429 that says when to come back."""
    if is_ratelimited(
        request,
        group="exports",
        key=lambda group, request: client_ip(request),
        rate=settings.EXPORT_RATE_LIMIT,
        increment=True,
    ):
        response = json_response(
            {
                "error": _(
                    "Too many downloads from your address: at most %(rate)s. Try again in a minute."
                )
                % {"rate": settings.EXPORT_RATE_LIMIT}
            },
            status=429,
        )
        response.headers["Retry-After"] = "60"
        return response
    filterset = filtered_initiatives(request)
    if not filterset.is_valid():
        return bad_request(error_messages(filterset.form))
    about = exports.licence_and_source(request)

    def respond():
        records = exports.public_records(filterset.qs, request.build_absolute_uri)
        content = make(records, about)
        if isinstance(content, bytes):
            response = HttpResponse(content, content_type=content_type)
        else:
            response = StreamingHttpResponse(content, content_type=content_type)
        if extension:
            # Named after the site, as the network that publishes it calls itself.
            site = slugify(settings.SITE_NAME) or "initiatives"
            name = f"{site}-initiatives-{timezone.localdate():%Y-%m-%d}.{extension}"
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    return directory_response(request, respond)


@require_safe
def initiatives_csv(request):
    return export(
        request,
        exports.csv_lines,
        "text/csv; charset=utf-8",
        "csv",
    )


@require_safe
def initiatives_xlsx(request):
    return export(
        request,
        lambda records, about: exports.xlsx_file(records, about_rows(request, about)),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    )


@require_safe
def initiatives_geojson(request):
    return export(request, exports.geojson_chunks, exports.GEOJSON)


@require_safe
def initiatives_gogocarto(request):
    return export(request, exports.gogocarto_chunks, "application/json")


def about_rows(request, about):
    return [
        (_("Initiatives of %(source)s") % {"source": about["source"]["name"]}, ""),
        (_("Source"), about["source"]["url"]),
        (_("Licence"), f"{about['licence']['name']} — {about['licence']['url']}"),
        (_("Exported on"), timezone.localtime().isoformat(timespec="seconds")),
        (_("Filters"), request.GET.urlencode() or _("none")),
    ]


class PageForm(forms.Form):
    page = forms.IntegerField(min_value=1, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=exports.PAGE_SIZE_LIMIT, required=False)


@require_safe
def initiatives_json(request):
    """One page of the filtered initiatives' records, with links to the next and previous."""
    paging = PageForm(request.GET)
    filterset = filtered_initiatives(request)
    if not (paging.is_valid() & filterset.is_valid()):
        return bad_request(error_messages(paging, filterset.form))
    number = paging.cleaned_data["page"] or 1
    size = paging.cleaned_data["page_size"] or exports.PAGE_SIZE

    def respond():
        count = filterset.qs.count()
        last = max(1, -(-count // size))
        if number > last:
            message = _("There is no page %(number)s: the last is %(last)s.")
            return json_response({"error": message % {"number": number, "last": last}}, status=404)
        start = (number - 1) * size
        records = exports.public_records(
            filterset.qs[start : start + size], request.build_absolute_uri
        )
        return json_response(
            {
                **exports.licence_and_source(request),
                "count": count,
                "next": page_url(request, number + 1) if number < last else None,
                "previous": page_url(request, number - 1) if number > 1 else None,
                "results": list(records),
            }
        )

    return directory_response(request, respond)


def page_url(request, number):
    query = request.GET.copy()
    query["page"] = number
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


@require_safe
def openapi_description(request):
    return json_response(openapi.description(request))


class ApiView(TemplateView):
    """/api/: every endpoint and parameter, with examples, from the OpenAPI description."""

    template_name = "initiatives/api.html"
    title = gettext_lazy("Open data and API")

    def get_context_data(self, **kwargs):
        description = openapi.description(self.request)
        return super().get_context_data(
            endpoints=openapi.endpoints(description, self.example_filters()),
            filters=[
                (parameter, openapi.allowed_values(parameter))
                for parameter in openapi.filter_parameters()
            ],
            columns=[*exports.COLUMNS.items(), *exports.CSV_ABOUT_COLUMNS.items()],
            licence=exports.licence_and_source(self.request),
            openapi_url=reverse("api_openapi"),
            **kwargs,
        )

    def example_filters(self):
        """Filters that give something here: the région and the theme with most initiatives."""
        published = Initiative.objects.published()
        query = QueryDict(mutable=True)
        regions = published.count_by_subterritory()
        if regions:
            query["territory"] = regions[0][0].slug
        themes = sorted(Theme.objects.with_counts(), key=lambda theme: -theme.count)
        if themes and themes[0].count:
            query["theme"] = themes[0].slug
        return query.urlencode()
