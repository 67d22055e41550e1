from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.formats import number_format
from django.utils.translation import get_language

from initiatives.counts import Estimate
from initiatives.links import linkable

register = template.Library()


@register.filter
def safe_url(url):
    """The URL for an href, or "" when its scheme is not http, https or mailto."""
    return linkable(url)


@register.simple_tag(takes_context=True)
def language_links(context):
    """[(code, name, url, is_current)]: this page in each language (the prefixed URLs of
    config/urls.py), for the language switch."""
    request = context["request"]
    current = get_language()
    return [
        (code, name, translate_url(request.get_full_path(), code), code == current)
        for code, name in settings.LANGUAGES
    ]


@register.simple_tag
def data_licence():
    """The licence the directory's data is published under (settings.DATA_LICENCE_*), and
    the source to cite."""
    return {
        "name": settings.DATA_LICENCE_NAME,
        "url": settings.DATA_LICENCE_URL,
        "source": settings.DATA_SOURCE_NAME,
    }


@register.simple_tag
def site_name():
    """settings.SITE_NAME, for the templates rendered without the context processors (the
    e-mails, the static error pages)."""
    return settings.SITE_NAME


@register.simple_tag
def site_colour():
    """settings.SITE_COLOUR, for the static error pages (see site_name)."""
    return settings.SITE_COLOUR


@register.filter
def approximate(count):
    """A count as shown: an estimate (counts.Estimate, a count from a sample) to two
    significant figures, after "≈" and a no-break space ("≈ 41 000"); any other count as it
    is."""
    if not isinstance(count, Estimate):
        return count
    digits = len(str(abs(count)))
    return "≈\u00a0" + number_format(round(count, min(0, 2 - digits)), force_grouping=True)


@register.filter
def is_estimate(count):
    return isinstance(count, Estimate)
