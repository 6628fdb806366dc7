"""What an import did, for the command's last lines and the admin page."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The report lists this many failures and missing pictures one by one; the rest are counted.
LISTED = 50
KINDS = ("posts", "authors", "sections", "tags", "images")
OUTCOMES = {
    "imported": gettext_lazy("imported"),
    "updated": gettext_lazy("updated"),
    "unchanged": gettext_lazy("unchanged"),
    "skipped": gettext_lazy("skipped"),
    "failed": gettext_lazy("failed"),
}


def offset_name(delta):
    minutes = int(delta / timedelta(minutes=1))
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass
class Report:
    dry_run: bool = False
    time_zone: str = "UTC"
    time_zone_source: str = ""
    site: str = ""
    wxr_version: str = ""
    total: int = 0
    posts: Counter = field(default_factory=Counter)
    authors: Counter = field(default_factory=Counter)
    sections: Counter = field(default_factory=Counter)
    tags: Counter = field(default_factory=Counter)
    images: Counter = field(default_factory=Counter)
    skipped: dict = field(default_factory=dict)  # kind -> Counter(reason)
    failures: list = field(default_factory=list)  # {kind, title, id, reason}
    missing: list = field(default_factory=list)  # {source, reason}
    missing_count: int = 0
    removed_shortcodes: Counter = field(default_factory=Counter)
    embeds: int = 0
    body_pictures: int = 0
    comments: int = 0
    addresses: int = 0
    assumed_zone_used: int = 0
    export_offsets: Counter = field(default_factory=Counter)
    notes: Counter = field(default_factory=Counter)

    def skip(self, kind, reason, count=1):
        getattr(self, kind)["skipped"] += count
        self.skipped.setdefault(kind, Counter())[reason] += count

    def fail(self, kind, title, item_id, reason):
        getattr(self, kind)["failed"] += 1
        if len(self.failures) < LISTED:
            self.failures.append({"kind": kind, "title": title, "id": item_id, "reason": reason})

    def missing_image(self, source, reason):
        self.missing_count += 1
        if len(self.missing) < LISTED:
            self.missing.append({"source": source, "reason": reason})

    def zone_mismatch(self, offset):
        self.export_offsets[offset_name(offset)] += 1

    def note(self, text, count=1):
        self.notes[str(text)] += count

    # Presentation -------------------------------------------------------------------------------
    def as_dict(self):
        return {
            "dry_run": self.dry_run,
            "site": self.site,
            "lines": self.lines(),
            "counts": {kind: dict(getattr(self, kind)) for kind in KINDS},
            "failures": self.failures,
        }

    def lines(self):
        """The report as lines of text (the command prints them; the admin shows them)."""
        lines = []
        if self.dry_run:
            lines.append(_("Dry run: nothing was written."))
        lines.append(
            _("Site: %(site)s (WXR %(version)s).")
            % {"site": self.site, "version": self.wxr_version or "?"}
        )
        for kind, title in (
            ("posts", _("Posts")),
            ("authors", _("Authors")),
            ("sections", _("Sections (from categories)")),
            ("tags", _("Tags")),
            ("images", _("Images")),
        ):
            counts = getattr(self, kind)
            parts = [
                f"{label} {counts[outcome]}"
                for outcome, label in OUTCOMES.items()
                if counts[outcome] or outcome in {"imported", "failed"}
            ]
            lines.append(f"{title}: " + ", ".join(parts))
            for reason, count in sorted(self.skipped.get(kind, {}).items()):
                lines.append(
                    "    "
                    + _("skipped, %(reason)s: %(count)s") % {"reason": reason, "count": count}
                )
        for failure in self.failures:
            lines.append(
                _("Failed %(kind)s “%(title)s” (WordPress id %(id)s): %(reason)s") % failure
            )
        if self.missing_count:
            lines.append(
                _("Pictures not found: %(count)s (the posts imported without them).")
                % {"count": self.missing_count}
            )
            lines.extend(f"    {m['source']}: {m['reason']}" for m in self.missing)
            if self.missing_count > len(self.missing):
                lines.append("    …")
        if self.removed_shortcodes:
            shortcodes = ", ".join(
                f"[{name}] ×{count}" for name, count in sorted(self.removed_shortcodes.items())
            )
            lines.append(_("Shortcodes removed: %(list)s.") % {"list": shortcodes})
        if self.body_pictures:
            lines.append(
                _(
                    "Pictures in post bodies: %(count)s, now figures of the image library "
                    "with their captions (the first leads a post without a featured image)."
                )
                % {"count": self.body_pictures}
            )
        if self.embeds:
            lines.append(_("Embeds kept as links: %(count)s.") % {"count": self.embeds})
        if self.comments:
            lines.append(_("Comments not imported: %(count)s.") % {"count": self.comments})
        lines.append(
            _("Old addresses now answering with a 301: %(count)s new.") % {"count": self.addresses}
        )
        for text, count in sorted(self.notes.items()):
            lines.append(f"{text}: {count}")
        source = {
            "--time-zone": _("given with --time-zone"),
            "export": _("the site's offset, from the export's own local and UTC times"),
        }.get(self.time_zone_source, _("the newsroom's zone; --time-zone changes it"))
        lines.append(
            _(
                "Time zone assumed for dates without one: %(zone)s (%(source)s); "
                "%(count)s posts had such a date."
            )
            % {"zone": self.time_zone, "source": source, "count": self.assumed_zone_used}
        )
        if self.export_offsets:
            offsets = ", ".join(
                f"{offset} ({count})" for offset, count in self.export_offsets.most_common(3)
            )
            lines.append(
                _(
                    "The export's own local times disagree with %(zone)s for some posts: "
                    "the site was at %(offsets)s. Pass --time-zone with the site's zone."
                )
                % {"zone": self.time_zone, "offsets": offsets}
            )
        return lines
