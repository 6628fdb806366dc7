"""The wire desk for the newsroom's roles: journalists read it, editors also run the sources."""

from django.db import migrations

JOURNALIST = ["view_incomingitem", "view_ingestsource", "view_storyfromitem"]
EDITOR = JOURNALIST + [
    "add_ingestsource",
    "change_ingestsource",
    "delete_ingestsource",
    "delete_incomingitem",
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("ingest")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in [("Journalist", JOURNALIST), ("Editor", EDITOR)]:
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label="ingest", codename__in=codenames)
            )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=["Journalist", "Editor"]):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="ingest"))


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0001_initial"),
        ("articles", "0003_newsroom_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
