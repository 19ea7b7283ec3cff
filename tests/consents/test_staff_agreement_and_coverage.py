"""The staff acceptable-use agreement at login, who has accepted it, and consent coverage in counts."""

from django.urls import reverse
from django.utils import timezone

from consents import services
from consents.models import ConsentType, StaffAgreement
from esafety.models import StaffMember

Kind = ConsentType.Kind


def _switch_on(cast, *, accepted_by=()):
    staff_aup = cast.a.consent_types[Kind.STAFF_AUP]
    staff_aup.is_active = True
    staff_aup.save()
    for role in accepted_by:
        for member in StaffMember.objects.filter(user=cast.a.users[role]):
            services.staff_agreement_accept(staff_member=member, consent_type=staff_aup, actor=cast.a.users[role])
    return staff_aup


def test_staff_are_not_stopped_while_the_school_has_no_staff_agreement(cast, login):
    client = login(cast.a.users["teacher"])
    assert client.get(reverse("home")).status_code == 200


def test_a_member_of_staff_is_asked_to_accept_the_agreement_when_they_log_in(cast, client):
    staff_aup = _switch_on(cast)
    client.post(reverse("login"), {"username": cast.a.users["teacher"].email, "password": "a-test-password"})
    response = client.get(reverse("pupil_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("consents:staff_agreement_accept") + "?next=/pupils/"
    page = client.get(response["Location"]).content.decode()
    assert staff_aup.current_wording.text[:60] in page
    # Logging out still works.
    assert client.get(reverse("password_change")).status_code == 200

    response = client.post(reverse("consents:staff_agreement_accept"), {"next": "/pupils/"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post(reverse("consents:staff_agreement_accept"), {"accept": "on", "next": "/pupils/"})
    assert response.status_code == 302 and response["Location"] == "/pupils/"
    agreement = StaffAgreement.objects.get(staff_member=cast.a.staff_member)
    assert agreement.wording == staff_aup.current_wording
    assert agreement.history.first().history_user == cast.a.users["teacher"]
    assert client.get(reverse("pupil_list")).status_code == 200


def test_a_new_version_of_the_agreement_is_asked_for_again_at_the_next_login(cast, client):
    staff_aup = _switch_on(cast)
    services.staff_agreement_accept(staff_member=cast.a.staff_member, consent_type=staff_aup, actor=cast.a.users["teacher"])
    client.force_login(cast.a.users["teacher"])
    assert client.get(reverse("home")).status_code == 200
    services.consent_type_update(
        consent_type=staff_aup, text="A new agreement.", year_groups=[], actor=cast.a.users["lead"], is_active=True
    )
    client.logout()
    client.force_login(cast.a.users["teacher"])
    assert client.get(reverse("home")).status_code == 302


def test_users_who_are_not_staff_members_are_never_stopped(cast, login):
    _switch_on(cast)
    for role, user in cast.a.users.items():
        expected = 302 if StaffMember.objects.filter(user=user).exists() else 200
        assert login(user).get(reverse("home")).status_code == expected, role
    assert login(cast.a.users["governor"]).get(reverse("home")).status_code == 200


def test_the_lead_sees_who_has_accepted_and_a_governor_sees_only_counts(cast, login):
    _switch_on(cast, accepted_by=["teacher", "lead"])
    from tests import factories as f

    f.make_staff(cast.a.school, "Nora", "Notyet", mis_id="NN")
    accepted = StaffAgreement.objects.filter(school=cast.a.school).count()
    not_accepted = StaffMember.objects.for_school(cast.a.school).current().count() - accepted
    page = login(cast.a.users["lead"]).get(reverse("consents:staff_agreement_list")).content.decode()
    assert (
        f"<strong>{accepted}</strong> member" in page
        and f"<strong>{not_accepted}</strong> {'has' if not_accepted == 1 else 'have'} not." in page
    )
    assert "TeacherA, Tutor" in page and "Notyet, Nora" in page
    assert f"Yes, {timezone.localdate():%d/%m/%Y}" in page
    not_yet = login(cast.a.users["lead"]).get(reverse("consents:staff_agreement_list"), {"show": "not_accepted"}).content.decode()
    assert "Notyet, Nora" in not_yet and "TeacherA, Tutor" not in not_yet

    governor = login(cast.a.users["governor"]).get(reverse("consents:staff_agreement_list")).content.decode()
    assert f"<strong>{accepted}</strong> member" in governor
    assert "TeacherA" not in governor and "Notyet" not in governor


def test_coverage_counts_yes_no_and_no_answer_without_names(cast, login):
    from tests import factories as f

    carys = f.make_pupil(cast.a.school, "Carys", "Crane", form=cast.a.form, mis_id="a003")
    services.answer_record(
        pupil=carys,
        consent_type=cast.a.consent_types[Kind.PHOTO_WEB],
        agreed=False,
        given_by=None,
        method="paper",
        signed_on=timezone.localdate(),
        actor=cast.a.users["office"],
    )
    page = login(cast.a.users["governor"]).get(reverse("consents:coverage")).content.decode()
    row = page.split("Photos on the website and social media</th>", 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:4]]
    assert cells == ["2", "1", "1"]  # two pupils on roll, one yes (Alice), one no (Carys); the leaver is not counted
    assert "Aardvark" not in page and "Crane" not in page
