from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from articles.admin import ProtectedShowsArticlesMixin, article_links, image_thumbnail
from articles.models import Article, Byline

from .models import Author, AuthorLink


class AuthorLinkInline(admin.TabularInline):
    model = AuthorLink
    extra = 0
    fields = ["label", "url", "position"]


@admin.register(Author)
class AuthorAdmin(ProtectedShowsArticlesMixin, admin.ModelAdmin):
    list_display = ["name", "job_title", "affiliation", "user", "active", "article_count"]
    list_filter = ["active"]
    ordering = ["name"]
    search_fields = ["name", "slug", "affiliation", "job_title", "user__username"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["photo"]
    readonly_fields = ["photo_preview", "articles_using"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "job_title", "affiliation", "bio", "active"]}),
        (_("Photo and contact"), {"fields": ["photo", "photo_preview", "public_email", "website"]}),
        (_("Account"), {"fields": ["user"]}),
        (_("Articles"), {"fields": ["articles_using"]}),
    ]
    inlines = [AuthorLinkInline]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(article_count=Count("bylines__article", distinct=True))
        )

    @admin.display(description=_("articles"), ordering="article_count")
    def article_count(self, obj):
        return obj.article_count

    @admin.display(description=_("photo preview"))
    def photo_preview(self, obj):
        return image_thumbnail(obj.photo, width=160) if obj.pk else "—"

    @admin.display(description=_("on the byline of"))
    def articles_using(self, obj):
        if not obj.pk:
            return "—"
        return article_links(
            Article.objects.filter(bylines__author=obj).distinct().order_by("-modified_at")
        )

    def protected_article_ids(self, objs):
        return Byline.objects.filter(author__in=objs).values("article_id")
