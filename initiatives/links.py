from urllib.parse import urlsplit

# What a link on a public page may lead to. Anything else ("javascript:", "data:") is written
# as text, whichever way it reached the database (a form, the shell, SQL, an import).
LINK_SCHEMES = {"http", "https", "mailto"}


def linkable(url):
    """The URL if it is safe to put in an href, else an empty string."""
    url = (url or "").strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in LINK_SCHEMES else ""


def website_key(url):
    """A website as two spellings of it compare: no scheme, no www, no trailing slash."""
    url = (url or "").lower().split("://", 1)[-1]
    url = url[4:] if url.startswith("www.") else url
    return url.rstrip("/")
