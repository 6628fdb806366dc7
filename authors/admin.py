from django.contrib import admin

from .models import Author, AuthorLink


class AuthorLinkInline(admin.TabularInline):
    model = AuthorLink
    extra = 0


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "job_title", "affiliation", "user", "active"]
    list_filter = ["active"]
    search_fields = ["name", "affiliation"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AuthorLinkInline]
