"""
Sites as a filter appliance reads them: what a member of staff types ("BBC.co.uk/", "https://www.bbc.co.uk/news",
"*.wikipedia.org", "bücher.de") becomes one normal form, so that the same site is written the same way in the
request, the register and the feed.

- A domain: lower case, internationalised names as punycode (IDNA 2008 with the UTS #46 mapping, through the
  `idna` library), no trailing dot, each label valid, at least two labels, and not an IP address.
- "This domain and its subdomains": the same domain, written `*.domain` in the feed.
- An exact address: http or https only, the host normalised as above, the default port dropped, the path kept
  as typed but with an empty path or a single trailing slash removed, and no fragment; the query is kept.
"""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna
from django.core.exceptions import ValidationError

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
DOMAIN = "domain"
SUBDOMAINS = "subdomains"
URL = "url"


@dataclass(frozen=True)
class Site:
    kind: str  # DOMAIN, SUBDOMAINS or URL
    value: str  # the domain (punycode), or the whole address
    host: str  # the domain alone

    def __str__(self):
        return f"*.{self.value}" if self.kind == SUBDOMAINS else self.value


def ip_address_in(host: str) -> str | None:
    """The IP address `host` is (`10.0.0.1`, `[2001:db8::1]`), written normally; None for a name."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def normalise_host(text: str) -> str:
    """The domain in its normal form, or a ValidationError saying what is wrong with it."""
    host = text.strip().rstrip(".")
    if not host:
        raise ValidationError("Type a domain, such as www.bbc.co.uk.")
    if ip_address_in(host) is not None:
        raise ValidationError(f"“{text}” is an IP address: ask for the site by its domain name.")
    try:
        host = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as error:
        raise ValidationError(f"“{text}” is not a valid domain name ({error}).") from error
    labels = host.split(".")
    if len(labels) < 2:
        raise ValidationError(f"“{text}” is not a full domain name: it needs a dot, as in example.org.")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(f"“{text}” is not a valid domain name.")
    if labels[-1].isdigit():
        raise ValidationError(f"“{text}” is not a valid domain name: it cannot end in a number.")
    return host


def normalise_site(text: str, *, subdomains: bool = False) -> Site:
    """
    One site as typed: a bare domain (`example.org`, `*.example.org` for its subdomains too) or an address with
    a path (`https://example.org/page`). A domain typed with a scheme and nothing after it is a domain.
    """
    typed = text.strip()
    if not typed:
        raise ValidationError("Type a site.")
    if any(character.isspace() for character in typed):
        raise ValidationError(f"“{typed}” has a space in it: put one site on each line.")
    if typed.startswith("*."):
        return Site(SUBDOMAINS, normalise_host(typed[2:]), normalise_host(typed[2:]))
    if "*" in typed:
        raise ValidationError(f"“{typed}”: a wildcard may only stand at the start, as in *.example.org.")
    with_scheme = typed if "://" in typed else f"http://{typed}"
    try:
        parts = urlsplit(with_scheme)
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"“{typed}” is not a valid web address.") from error
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(f"“{typed}”: only web addresses (http or https) can be opened on the filter.")
    if parts.username or parts.password:
        raise ValidationError(f"“{typed}” has a user name or password in it: leave those out.")
    host = normalise_host(parts.hostname or "")
    path = parts.path
    if path in ("", "/") and not parts.query:
        kind = SUBDOMAINS if subdomains else DOMAIN
        return Site(kind, host, host)
    scheme = parts.scheme.lower()
    default_port = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    if path.endswith("/") and len(path) > 1:
        path = path[:-1]
    return Site(URL, urlunsplit((scheme, netloc, path or "/", parts.query, "")), host)


def normalise_sites(text: str, *, subdomains: bool = False) -> list[Site]:
    """
    Every site of a box with one site a line (blank lines and repeats ignored); all the problems at once, each
    naming its line.
    """
    sites: list[Site] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            site = normalise_site(line, subdomains=subdomains)
        except ValidationError as error:
            problems += [f"Line {number}: {message}" for message in error.messages]
            continue
        if site not in sites:
            sites.append(site)
    if problems:
        raise ValidationError(problems)
    if not sites:
        raise ValidationError("Type at least one site, one on each line.")
    return sites
