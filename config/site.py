"""The instance's identity, from settings: its name, logo, colours, introduction and contact.

Settings rather than rows, so that every page (the static error pages included) shows them
without a query. The legal notice is a flat page that curators edit in the admin
(django.contrib.flatpages, at /mentions-legales/).
"""

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


def identity():
    return {
        "name": settings.SITE_NAME,
        "logo_url": settings.SITE_LOGO_URL,
        "logo_alt": settings.SITE_LOGO_ALT,
        "colour": settings.SITE_COLOUR,
        "introduction": settings.SITE_INTRODUCTION,
        "contact_email": settings.SITE_CONTACT_EMAIL,
    }


def site(request):
    """Context processor: `site` on every page."""
    return {"site": identity()}


@require_safe
@cache_control(public=True, max_age=3600)
def stylesheet(request):
    """The site's colours, as CSS custom properties over static/css/essaim.css's defaults
    (a stylesheet of its own: the Content-Security-Policy allows no inline style)."""
    colours = f"--accent: {settings.SITE_COLOUR}; --accent-dark: {settings.SITE_COLOUR_DARK};"
    return HttpResponse(f":root {{ {colours} }}\n", content_type="text/css")
