"""The newsroom's two staff roles, Journalist and Editor, with their permissions."""

from django.db import migrations

JOURNALIST = {
    "articles": [
        "add_article", "change_article", "view_article",
        "add_byline", "change_byline", "delete_byline", "view_byline",
        "add_articlesource", "change_articlesource", "delete_articlesource", "view_articlesource",
        "add_relatedarticle", "change_relatedarticle", "delete_relatedarticle",
        "view_relatedarticle",
        "add_image", "change_image", "view_image",
        "add_internalnote", "view_internalnote",
        "view_section", "view_source", "view_revision", "view_correction",
    ],
    "authors": ["view_author", "view_authorlink"],
    "taggit": ["view_tag"],
}

EDITOR_EXTRA = {
    "articles": [
        "publish_article", "edit_any_article", "review_article", "share_preview",
        "add_correction", "change_correction", "delete_correction",
        "add_section", "change_section", "delete_section",
        "add_source", "change_source", "delete_source",
        "delete_image",
        "add_previewlink", "change_previewlink", "view_previewlink",
        "view_articleevent", "view_sideeffect",
    ],
    "authors": [
        "add_author", "change_author", "delete_author",
        "add_authorlink", "change_authorlink", "delete_authorlink",
    ],
    "taggit": ["add_tag", "change_tag", "delete_tag"],
}


def _permissions(apps, spec):
    Permission = apps.get_model("auth", "Permission")
    perms = []
    for app_label, codenames in spec.items():
        found = list(
            Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise RuntimeError(f"Missing permissions in {app_label}: {sorted(missing)}")
        perms += found
    return perms


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    journalist, _ = Group.objects.get_or_create(name="Journalist")
    journalist.permissions.set(_permissions(apps, JOURNALIST))
    editor, _ = Group.objects.get_or_create(name="Editor")
    editor_spec = {
        label: JOURNALIST.get(label, []) + EDITOR_EXTRA.get(label, [])
        for label in {*JOURNALIST, *EDITOR_EXTRA}
    }
    editor.permissions.set(_permissions(apps, editor_spec))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Journalist", "Editor"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0002_article_relations"),
        ("authors", "0001_initial"),
        ("taggit", "0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
