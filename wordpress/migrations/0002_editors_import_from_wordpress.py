"""Editors may import from WordPress (and see and remove the old addresses it keeps)."""

from django.db import migrations

EDITOR = [
    "add_importrun",
    "view_importrun",
    "delete_importrun",
    "view_oldaddress",
    "delete_oldaddress",
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the group needs them now.
    app_config = apps.get_app_config("wordpress")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor = Group.objects.filter(name="Editor").first()
    if editor is not None:
        editor.permissions.add(
            *Permission.objects.filter(content_type__app_label="wordpress", codename__in=EDITOR)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editor = Group.objects.filter(name="Editor").first()
    if editor is not None:
        editor.permissions.remove(
            *Permission.objects.filter(content_type__app_label="wordpress", codename__in=EDITOR)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("wordpress", "0001_wordpress_import"),
        ("articles", "0003_newsroom_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
