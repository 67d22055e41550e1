"""How French territories are named in URLs.

The demo data (initiatives/demo/demo.json) and the INSEE import (import_territories) follow the
same rules, so a territory created by one is found, not duplicated, by the other:

- the country is "france";
- a région is slugify(name): "hauts-de-france";
- a département is slugify(name), or slugify(name)-code when that slug is already used by
  another territory: the five overseas départements share their région's name, so
  "guadeloupe" is the région and "guadeloupe-971" the département;
- a commune is always slugify(name)-code, since many communes share a name:
  "bruay-la-buissiere-62178".
"""

from django.utils.text import slugify

FRANCE_SLUG = "france"


def slug_choices(name, code):
    """A région's or département's slug, then the fallback when the first is taken."""
    return [slugify(name), commune_slug(name, code)]


def commune_slug(name, code):
    return f"{slugify(name)}-{code.lower()}"
