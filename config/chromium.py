"""How the benchmark and the browser tests start Debian's Chromium: headless, as root (so
without its sandbox), without a GPU, and without the background connections (updates, sync)
that a machine with no internet refuses, many at a time."""

CHROMIUM_ARGS = [
    # Chromium keeps pages it deems public (a partner's page that a test fulfils itself)
    # from framing the local test server; on the internet both are public.
    "--disable-features=LocalNetworkAccessChecks",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
