"""Small helpers that make one row each, with believable defaults."""

from datetime import date
from functools import wraps

from esafety.models import FormGroup, ImportJob, ParentCarer, Pupil, PupilContact, School, StaffMember, User, YearGroup
from esafety.schools import school_create
from esafety.scoping import scope


def _at_school(make):
    """Makes the row inside the scope of its school (the first argument, or the school of a pupil)."""

    @wraps(make)
    def wrapped(first, *args, **kwargs):
        with scope(school=first if isinstance(first, School) else first.school):
            return make(first, *args, **kwargs)

    return wrapped


def make_school(name="Test School", urn="900001", trust=None):
    return school_create(name=name, urn=urn, trust=trust)


def make_user(email, full_name="Test User", password="a-test-password"):
    return User.objects.create_user(email, password, full_name=full_name)


@_at_school
def make_year_group(school, ncy):
    return YearGroup.objects.get_or_create(school=school, ncy=ncy)[0]


@_at_school
def make_form(school, name, year_group, tutor=None):
    return FormGroup.objects.create(school=school, name=name, year_group=year_group, tutor=tutor)


@_at_school
def make_pupil(school, first_name, last_name, *, form=None, year_group=None, mis_id=None, born=date(2014, 3, 14), **extra):
    year_group = year_group or (form.year_group if form else make_year_group(school, 7))
    return Pupil.objects.create(
        school=school,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=born,
        year_group=year_group,
        form=form,
        mis_id=mis_id or f"{first_name[:2]}{last_name[:3]}".upper(),
        **extra,
    )


@_at_school
def make_parent(pupil, first_name, last_name, *, mis_id, relationship="mother"):
    parent = ParentCarer.objects.create(school=pupil.school, first_name=first_name, last_name=last_name, mis_id=mis_id)
    PupilContact.objects.create(pupil=pupil, contact=parent, relationship=relationship, parental_responsibility=True)
    return parent


@_at_school
def make_staff(school, first_name, last_name, *, mis_id, user=None, **extra):
    return StaffMember.objects.create(
        school=school, first_name=first_name, last_name=last_name, mis_id=mis_id, user=user, **extra
    )


PUPIL_CSV = (
    "Adno,UPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year,Reg,Admission Date,Leaving Date\n"
    "100001,A123456789012,Smith,Amelia,Millie,14/03/2014,7,7S,01/09/2025,\n"
    "100002,,Jones,Noah,,02/11/2013,Year 7,7S,01/09/2025,\n"
)


@_at_school
def make_import_job(school, user, *, status=ImportJob.Status.READY, kind=ImportJob.Kind.PUPILS, text=PUPIL_CSV):
    return ImportJob.objects.create(
        school=school,
        kind=kind,
        status=status,
        file_name="pupils.csv",
        csv_text=text,
        created_by=user,
        row_count=2,
        preview={"create": 2, "update": 0, "unchanged": 0, "leavers": 0, "missing": 0},
    )
