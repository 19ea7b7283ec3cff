"""Give every existing school the standard consent types and its consent settings (new schools get them when created)."""

from django.db import migrations


def seed(apps, schema_editor):
    from consents.defaults import DEFAULT_TYPES

    School = apps.get_model("esafety", "School")
    ConsentType = apps.get_model("consents", "ConsentType")
    ConsentWording = apps.get_model("consents", "ConsentWording")
    ConsentSettings = apps.get_model("consents", "ConsentSettings")
    for school in School.objects.all():
        ConsentSettings.objects.get_or_create(school=school)
        have = set(ConsentType.objects.filter(school=school).values_list("kind", flat=True))
        for order, default in enumerate(DEFAULT_TYPES, start=1):
            if default.kind in have:
                continue
            consent_type = ConsentType.objects.create(
                school=school,
                kind=default.kind,
                title=default.title,
                answered_by=default.answered_by,
                duration=default.duration,
                missing_means_no=default.missing_means_no,
                is_active=default.is_active,
                order=order * 10,
                key_stages=[],
            )
            wording = ConsentWording.objects.create(consent_type=consent_type, version=1, text=default.text)
            consent_type.current_wording = wording
            consent_type.save(update_fields=["current_wording"])


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_initial"), ("esafety", "0004_chair_of_governors_role")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
