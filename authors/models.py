from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from articles.slugs import unique_slug


class AuthorQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Author(models.Model):
    """A credited person. Without a user account, a guest contributor."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        help_text=_("Staff who log in. Leave empty for a guest contributor."),
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    affiliation = models.CharField(
        _("affiliation"), max_length=200, blank=True, help_text=_("For example “Buna Times”.")
    )
    bio = models.TextField(
        _("bio"), blank=True, help_text=_("Plain text; blank lines separate paragraphs.")
    )
    photo = models.ForeignKey(
        "articles.Image",
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    public_email = models.EmailField(_("public e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    modified_at = models.DateTimeField(_("modified at"), auto_now=True)

    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Author, self.name)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("authors:detail", kwargs={"slug": self.slug})

    @property
    def is_guest(self):
        return self.user_id is None

    @property
    def bio_paragraphs(self):
        return [p.strip() for p in self.bio.replace("\r\n", "\n").split("\n\n") if p.strip()]


class AuthorLink(models.Model):
    """A profile elsewhere: a social network, a personal site."""

    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="links")
    label = models.CharField(_("label"), max_length=100, help_text=_("For example “Mastodon”."))
    url = models.URLField(_("URL"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("link")
        verbose_name_plural = _("links")

    def __str__(self):
        return f"{self.label}: {self.url}"
