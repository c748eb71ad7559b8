"""File URLs supplied by an operator, without code change: `QPV_LIVE_URL_<SOURCE NAME IN UPPER CASE>`.

For a source whose file URL is not confirmed (LiveSpec kind "page": the frozen ANCT 2015-geography files, CAF
by IRIS, France Travail DEFM…), or to point a source at a file the producer moved, set for example

    QPV_LIVE_URL_FRANCE_TRAVAIL_DEFM_QPV2024="2024=https://www.insee.fr/fr/statistiques/fichier/8644871/<file>.zip"

The value is one or more `EDITION=URL` items separated by spaces or commas. `EDITION=` may be left out when
the source has a fixed edition, or when the URL's last segment matches the source's file pattern with its
`millesime` group. An override replaces the source's declared URLs. Every URL must pass the fetcher's rules
(HTTPS, host in the allow-list of official hosts), checked here before any request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import unquote, urlsplit

from pipelines import settings
from pipelines.contracts.registry import Source
from pipelines.sources.live.errors import LiveSourceError

PREFIX = "QPV_LIVE_URL_"
_ITEM = re.compile(r"^(?:(?P<edition>\d{4})=)?(?P<url>\S+)$")


def variable_name(source: Source) -> str:
    """The environment variable that overrides the file URL(s) of `source`."""
    return PREFIX + source.name.upper()


def environment() -> Mapping[str, str]:
    """The process environment (read at call time, so a run picks up what the operator set)."""
    return settings.environment()


def override_urls(
    source: Source, environ: Mapping[str, str], check_url: Callable[[str], None] | None
) -> tuple[tuple[int, str], ...] | None:
    """The (edition, URL) pairs the operator set for `source`, or None when the variable is unset or blank.

    Raises LiveSourceError naming the variable for an item that is not `[EDITION=]URL`, an edition that
    cannot be told, or a URL that `check_url` refuses (scheme, allow-list; None: not checked, for files
    already archived).
    """
    name = variable_name(source)
    value = (environ.get(name) or "").strip()
    if not value:
        return None
    pairs: dict[int, str] = {}
    for item in re.split(r"[\s,]+", value):
        match = _ITEM.match(item)
        if not match:
            raise LiveSourceError(name, f"{item!r} n'est pas de la forme EDITION=URL")
        url = match.group("url")
        try:
            if check_url is not None:
                check_url(url)
        except LiveSourceError as exc:
            raise LiveSourceError(name, f"URL refusée : {exc}") from exc
        edition = int(match.group("edition")) if match.group("edition") else _edition_from_url(source, url)
        if edition is None:
            raise LiveSourceError(
                name,
                f"impossible de savoir de quelle édition est {url} (son nom de fichier ne le dit pas) : écrire "
                f"{name}='<année>={url}'",
            )
        if edition in pairs:
            raise LiveSourceError(name, f"édition {edition} donnée deux fois")
        pairs[edition] = url
    return tuple(sorted(pairs.items()))


def _edition_from_url(source: Source, url: str) -> int | None:
    """The `millesime` group of the URL's file name, else the source's fixed edition, else None."""
    segment = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    edition = source.millesime_of(segment) if segment else None
    return edition if edition is not None else source.fixed_millesime
