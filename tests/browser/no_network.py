"""Pages opened as if offline: saved HTML must render from its own file."""

import re


def without_network(page) -> list[str]:
    """Refuse every request of ``page`` but those for files; returns the list that the refused
    and failed requests' URLs are added to."""
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    def refuse(route):
        failed.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^(?!file:).*"), refuse)
    return failed
