"""What an import from WordPress remembers: which site each article, author and picture came
from (so a second run updates instead of duplicating), the old addresses that answer with a
301, and the imports started from the admin."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WordPressSite(models.Model):
    """One WordPress site an export came from, known by its address without the scheme."""

    address = models.CharField(_("address"), max_length=300, unique=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    last_imported_at = models.DateTimeField(_("last imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("WordPress site")
        verbose_name_plural = _("WordPress sites")

    def __str__(self):
        return self.title or self.address


class WordPressPost(models.Model):
    """The article a WordPress post became. ``fingerprint`` is a digest of the post as the
    export had it: an unchanged post is skipped on the next run without touching its article.
    ``article_version`` is the article's version after the import: a different version means
    someone changed it in Newsroom since, and the import leaves it alone."""

    site = models.ForeignKey(WordPressSite, on_delete=models.CASCADE, related_name="posts")
    post_id = models.PositiveBigIntegerField(_("WordPress post id"))
    article = models.OneToOneField(
        "articles.Article", on_delete=models.CASCADE, related_name="wordpress_post"
    )
    fingerprint = models.CharField(max_length=64)
    article_version = models.PositiveIntegerField()
    # False while a picture of the post could not be found: the next run tries again.
    complete = models.BooleanField(default=True)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("imported WordPress post")
        verbose_name_plural = _("imported WordPress posts")
        constraints = [
            models.UniqueConstraint(fields=["site", "post_id"], name="unique_wordpress_post"),
        ]

    def __str__(self):
        return f"{self.site} #{self.post_id}"


class WordPressAuthor(models.Model):
    """The author a WordPress user (or a Co-Authors Plus guest author) became."""

    site = models.ForeignKey(WordPressSite, on_delete=models.CASCADE, related_name="authors")
    login = models.CharField(_("WordPress login"), max_length=200)
    author = models.ForeignKey("authors.Author", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "login"], name="unique_wordpress_author"),
        ]

    def __str__(self):
        return f"{self.site} {self.login}"


class WordPressAttachment(models.Model):
    """The picture a WordPress attachment became."""

    site = models.ForeignKey(WordPressSite, on_delete=models.CASCADE, related_name="attachments")
    attachment_id = models.PositiveBigIntegerField()
    image = models.ForeignKey("articles.Image", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "attachment_id"], name="unique_wordpress_attachment"
            ),
        ]

    def __str__(self):
        return f"{self.site} attachment {self.attachment_id}"


class OldAddress(models.Model):
    """An address the old site answered at, kept answering with a 301 to what it became.

    ``path`` is normalised by `wordpress.addresses.normalise`: no trailing slash, and the one
    query parameter WordPress addressed by (``/?p=12``). Exactly one target is set."""

    site = models.ForeignKey(WordPressSite, on_delete=models.CASCADE, related_name="addresses")
    path = models.CharField(_("old address"), max_length=500, unique=True)
    article = models.ForeignKey(
        "articles.Article", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    section = models.ForeignKey(
        "articles.Section", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey(
        "taggit.Tag", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("old WordPress address")
        verbose_name_plural = _("old WordPress addresses")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(article__isnull=False, section__isnull=True, tag__isnull=True)
                    | models.Q(article__isnull=True, section__isnull=False, tag__isnull=True)
                    | models.Q(article__isnull=True, section__isnull=True, tag__isnull=False)
                ),
                name="old_address_one_target",
            ),
        ]

    def __str__(self):
        return self.path


class ImportRun(models.Model):
    """An import started from the admin: the uploaded export, its progress and its report."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting for the task worker")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    file_name = models.CharField(_("file"), max_length=255)
    # Kept in the database, not in MEDIA_ROOT: an export holds drafts and e-mail addresses,
    # and the task worker may run on another machine.
    export = models.BinaryField(editable=False)
    state = models.CharField(_("state"), max_length=20, choices=State, default=State.QUEUED)
    posts_done = models.PositiveIntegerField(default=0)
    posts_total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import from WordPress")
        verbose_name_plural = _("imports from WordPress")

    def __str__(self):
        return self.file_name
