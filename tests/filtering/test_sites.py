"""Sites as typed by staff become one normal form, the one the feed gives the filter appliance."""

import pytest
from django.core.exceptions import ValidationError

from filtering.sites import DOMAIN, SUBDOMAINS, URL, normalise_site, normalise_sites


@pytest.mark.parametrize(
    ("typed", "kind", "written"),
    [
        ("BBC.co.uk", DOMAIN, "bbc.co.uk"),
        ("bbc.co.uk/", DOMAIN, "bbc.co.uk"),
        ("https://www.BBC.co.uk/", DOMAIN, "www.bbc.co.uk"),
        ("www.example.org.", DOMAIN, "www.example.org"),
        ("*.Wikipedia.org", SUBDOMAINS, "*.wikipedia.org"),
        ("bücher.de", DOMAIN, "xn--bcher-kva.de"),
        # IDNA 2008, as browsers resolve it today: ß is kept, not mapped to "ss".
        ("https://Straße.example/", DOMAIN, "xn--strae-oqa.example"),
        ("https://www.example.org/History/WW2/", URL, "https://www.example.org/History/WW2"),
        ("HTTP://Example.org:80/a?b=1#part", URL, "http://example.org/a?b=1"),
        ("https://example.org:8443/page", URL, "https://example.org:8443/page"),
        ("example.org/page", URL, "http://example.org/page"),
    ],
)
def test_what_is_typed_becomes_one_normal_form(typed, kind, written):
    site = normalise_site(typed)
    assert (site.kind, str(site)) == (kind, written)


def test_the_subdomains_box_opens_each_domain_with_its_subdomains_but_not_an_exact_address():
    assert str(normalise_site("example.org", subdomains=True)) == "*.example.org"
    assert normalise_site("https://example.org/page", subdomains=True).kind == URL


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("10.0.0.1", "is an IP address"),
        ("https://[2001:db8::1]/", "is an IP address"),
        ("localhost", "needs a dot"),
        ("ftp://files.example.org", "only web addresses (http or https)"),
        ("https://user:secret@example.org/", "user name or password"),
        ("exa mple.org", "has a space in it"),
        ("www.*.example.org", "a wildcard may only stand at the start"),
        ("-bad-.example.org", "is not a valid domain name"),
        ("example.123", "cannot end in a number"),
        ("https://example.org:99999/", "is not a valid web address"),
    ],
)
def test_what_cannot_be_a_site_is_refused_with_the_reason(typed, message):
    with pytest.raises(ValidationError) as refused:
        normalise_site(typed)
    assert message in " ".join(refused.value.messages)


def test_a_box_of_sites_ignores_blank_lines_and_repeats_and_names_each_bad_line():
    sites = normalise_sites("bbc.co.uk\n\nBBC.co.uk/\nhttps://example.org/a/")
    assert [str(s) for s in sites] == ["bbc.co.uk", "https://example.org/a"]

    with pytest.raises(ValidationError) as refused:
        normalise_sites("bbc.co.uk\nlocalhost\n\nftp://x.org")
    assert [m.split(":")[0] for m in refused.value.messages] == ["Line 2", "Line 4"]

    with pytest.raises(ValidationError, match="Type at least one site"):
        normalise_sites("\n  \n")
