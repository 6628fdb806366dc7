"""The whole newsroom as JSON: what `export_newsroom` writes and `import_newsroom` reads.

A backup is either a folder (``newsroom.json`` plus the uploaded files under ``media/``) or a
single ``.json`` file with the files inside it, base64-encoded. Rows are written in Django's
serialisation format, so a backup is readable with any JSON tool and restorable without this
code. Users and groups travel by name (natural keys), so a backup restores into a freshly
migrated database whose groups already exist.

Left out on purpose: sessions, login-throttling records, task queues and the side-effect
outbox (replaying old purges and e-mails after a restore would be wrong), who is editing what
right now, the search index, which is rebuilt from the restored text, and each image's list of
its renditions, which is rebuilt from the restored rendition rows.
"""

import base64
import datetime
import hashlib
import json
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "newsroom-backup"
VERSION = 1
DATA_NAME = "newsroom.json"
FILES_DIR = "media"

# Exported first, by name, so that everything after may refer to them.
ACCOUNT_MODELS = ["auth.Group", "auth.User"]
CONTENT_APPS = ["taggit", "authors", "articles"]
SKIPPED_MODELS = {"articles.EditingSession", "articles.SideEffect"}
# Derived columns rebuilt after a restore rather than carried in the backup.
SKIPPED_FIELDS = {
    "articles.Article": {"search_vector"},
    "articles.Image": {"rendition_index"},
}


class BackupError(Exception):
    """A backup that cannot be written or read; the message is for the person running it."""


def backup_models():
    """The models a backup holds, in an order where references point backwards."""
    chosen = [apps.get_model(label) for label in ACCOUNT_MODELS]
    for app_label in CONTENT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model._meta.label not in SKIPPED_MODELS and not model._meta.proxy:
                chosen.append(model)
    return chosen


def _file_fields(model):
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _rows(model):
    serialised = serializers.serialize(
        "python",
        model._default_manager.order_by("pk"),
        use_natural_foreign_keys=True,
        use_natural_primary_keys=model._meta.label in ACCOUNT_MODELS,
    )
    skipped = SKIPPED_FIELDS.get(model._meta.label, set())
    for row in serialised:
        for name in skipped:
            row["fields"].pop(name, None)
    return serialised


def collect():
    """Every row and the name of every stored file they refer to."""
    rows, file_names, counts = [], set(), {}
    for model in backup_models():
        model_rows = _rows(model)
        counts[model._meta.label] = len(model_rows)
        rows.extend(model_rows)
        fields = _file_fields(model)
        if fields:
            for values in model._default_manager.values_list(*(f.attname for f in fields)):
                file_names.update(name for name in values if name)
    return rows, sorted(file_names), counts


def _json_default(value):
    # The python serialiser leaves dates and times as objects. Written in full: Django's
    # JSON encoder would cut times to milliseconds, and a restore must change nothing.
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    from django.core.serializers.json import DjangoJSONEncoder

    return DjangoJSONEncoder().default(value)


def export_newsroom(target):
    """Write the newsroom to ``target`` (a folder, or a file ending in .json). Returns counts."""
    target = Path(target)
    rows, file_names, counts = collect()
    missing = [name for name in file_names if not default_storage.exists(name)]
    document = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "counts": counts,
        "missing_files": missing,
        "files": {},
        "objects": rows,
    }
    single_file = target.suffix.lower() == ".json"
    if single_file:
        target.parent.mkdir(parents=True, exist_ok=True)
    else:
        if target.exists() and any(target.iterdir()):
            raise BackupError(_("%(path)s is not empty; choose a new folder.") % {"path": target})
        (target / FILES_DIR).mkdir(parents=True, exist_ok=True)
    for name in file_names:
        if name in missing:
            continue
        with default_storage.open(name, "rb") as stored:
            content = stored.read()
        entry = {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
        if single_file:
            entry["base64"] = base64.b64encode(content).decode("ascii")
        else:
            destination = target / FILES_DIR / _safe_relative(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
        document["files"][name] = entry
    path = target if single_file else target / DATA_NAME
    # Written to a neighbour first so an interrupted export never looks like a finished one.
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        json.dump(document, out, default=_json_default, ensure_ascii=False, indent=1)
    partial.replace(path)
    return {"counts": counts, "files": len(document["files"]), "missing_files": missing}


def _safe_relative(name):
    """A stored file name as a relative path that cannot leave the media folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\x00" in name or not path.parts:
        raise BackupError(_("The backup names an unsafe file path: %(name)r.") % {"name": name})
    return Path(*path.parts)


def read_backup(source):
    source = Path(source)
    path = source / DATA_NAME if source.is_dir() else source
    try:
        with path.open(encoding="utf-8") as fh:
            document = json.load(fh)
    except FileNotFoundError:
        raise BackupError(_("No backup found at %(path)s.") % {"path": path}) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(
            _("%(path)s is not a newsroom backup (%(error)s).") % {"path": path, "error": exc}
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(_("%(path)s is not a newsroom backup.") % {"path": path})
    if document.get("version") != VERSION:
        raise BackupError(
            _("This backup has version %(found)s; this newsroom reads version %(expected)s.")
            % {"found": document.get("version"), "expected": VERSION}
        )
    return document, (None if path is source else source / FILES_DIR)


def _file_content(name, entry, files_dir):
    if "base64" in entry:
        content = base64.b64decode(entry["base64"], validate=True)
    else:
        try:
            content = (files_dir / _safe_relative(name)).read_bytes()
        except FileNotFoundError:
            raise BackupError(_("The backup lacks the file %(name)s.") % {"name": name}) from None
    if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
        raise BackupError(_("The file %(name)s in the backup is damaged.") % {"name": name})
    return content


def newsroom_is_empty():
    content = [m for m in backup_models() if m._meta.label not in ACCOUNT_MODELS]
    return not any(model._default_manager.exists() for model in content)


def import_newsroom(source, *, using="default"):
    """Restore a backup into an empty newsroom. All or nothing. Returns counts."""
    document, files_dir = read_backup(source)
    if not newsroom_is_empty():
        raise BackupError(
            _(
                "This newsroom already has content. Restore into a freshly migrated, empty "
                "database (see the README's “Backup and restore”)."
            )
        )
    # Check every file before touching anything, so a damaged backup changes nothing.
    contents = {
        name: _file_content(name, entry, files_dir)
        for name, entry in document.get("files", {}).items()
    }
    for name in contents:
        _safe_relative(name)
    connection = connections[using]
    rows, memberships = _split_group_memberships(document["objects"])
    restored = {}
    with transaction.atomic(using=using):
        loaded_models = set()
        for obj in serializers.deserialize(
            "python", rows, using=using, handle_forward_references=True
        ):
            if router.allow_migrate_model(using, obj.object.__class__):
                obj.save(using=using)
                if obj.deferred_fields:
                    obj.save_deferred_fields(using=using)
                model = obj.object.__class__
                loaded_models.add(model)
                restored[model._meta.label] = restored.get(model._meta.label, 0) + 1
        _restore_group_memberships(memberships, using)
        connection.check_constraints(table_names=[m._meta.db_table for m in loaded_models])
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(loaded_models)):
                cursor.execute(sql)
        written = []
        try:
            for name, content in contents.items():
                if default_storage.exists(name):
                    with default_storage.open(name, "rb") as existing:
                        if existing.read() == content:
                            continue
                    default_storage.delete(name)
                saved = default_storage.save(name, ContentFile(content))
                written.append(saved)
                if saved != name:
                    raise BackupError(
                        _("The file %(name)s could not be restored under its own name.")
                        % {"name": name}
                    )
        except Exception:
            for name in written:
                default_storage.delete(name)
            raise
    _rebuild_search_index()
    _rebuild_rendition_indexes()
    return {"counts": restored, "files": len(contents)}


def _split_group_memberships(rows):
    """Users' groups, set apart from the user rows.

    Adding a user to a newsroom group creates an author profile for them (a signal); during
    a restore the profile comes from the backup instead, so memberships are written last and
    directly, after the authors exist.
    """
    kept, memberships = [], []
    for row in rows:
        groups = row["fields"].get("groups") if row.get("model") == "auth.user" else None
        if groups:
            # Groups travel by natural key: ["Editor"].
            memberships.append((row["fields"]["username"], [natural[0] for natural in groups]))
            row = {**row, "fields": {**row["fields"], "groups": []}}
        kept.append(row)
    return kept, memberships


def _restore_group_memberships(memberships, using):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user_model = get_user_model()
    through = user_model.groups.through
    group_ids = dict(Group.objects.using(using).values_list("name", "pk"))
    links = []
    for username, group_names in memberships:
        user_id = user_model._default_manager.db_manager(using).get_by_natural_key(username).pk
        links.extend(through(user_id=user_id, group_id=group_ids[name]) for name in group_names)
    through.objects.using(using).bulk_create(links, ignore_conflicts=True)


def _rebuild_rendition_indexes():
    """Each image's list of renditions is derived from the rendition rows just restored."""
    from .images import refresh_rendition_index
    from .models import Image, Rendition

    pictured = Rendition.objects.values("image_id")
    for image in Image.objects.filter(pk__in=pictured).order_by("pk").iterator():
        refresh_rendition_index(image)


def _rebuild_search_index():
    """Search vectors are derived from the text; a restore writes them afresh, in batches."""
    from .search import rebuild_every_search_vector

    rebuild_every_search_vector()
