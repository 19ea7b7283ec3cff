"""
The access rules of the register of policies (tests/policies/rows_policies.py), walked the way the whole matrix walks
them (tests/esafety/test_access_matrix.py): anonymous visitors, every role of school A and every user of school B.
"""

import pytest
from django.urls import reverse

from tests.esafety.test_access_matrix import _expected, _request
from tests.policies.rows_policies import ROWS

pytestmark = pytest.mark.django_db

ACKNOWLEDGEMENT_MIDDLEWARE = "policies.middleware.PolicyAcknowledgementMiddleware"


@pytest.fixture(autouse=True)
def _acknowledgements_asked(settings):
    if ACKNOWLEDGEMENT_MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        middleware.insert(middleware.index("consents.middleware.StaffAgreementMiddleware") + 1, ACKNOWLEDGEMENT_MIDDLEWARE)
        settings.MIDDLEWARE = middleware


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_policies_page_answers_each_user_as_its_rule_says(name, cast, client):
    row = ROWS[name]
    url = reverse(name, kwargs=row.kwargs(cast))
    data = row.data(cast)
    failures = []
    client.logout()
    response = _request(client, row, url, data, cast)
    if response.status_code != 302 or "/accounts/login/" not in response["Location"]:
        failures.append(f"anonymous: {response.status_code}")
    for label, user in cast.everyone():
        client.force_login(user)
        response = _request(client, row, url, data, cast)
        expected = _expected(row, label, label.split(".")[1])
        if response.status_code != expected:
            failures.append(f"{label}: {response.status_code}, expected {expected}")
        elif label.startswith("b.") and response.status_code == 200:
            body = response.content.decode()
            failures += [f"{label}: the page shows {leaked!r}" for leaked in ("Aardvark", "TeacherA") if leaked in body]
        client.logout()
    assert failures == [], f"{name} ({url}):\n" + "\n".join(failures)
