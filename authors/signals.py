"""A journalist or editor account always has an author profile to put on bylines."""

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .models import Author

NEWSROOM_GROUPS = {"Journalist", "Editor"}


def ensure_author_profile(user):
    """Link the user to an author of the same name without an account, or create one."""
    if hasattr(user, "author_profile"):
        try:
            return user.author_profile
        except Author.DoesNotExist:
            pass
    name = user.get_full_name() or user.get_username()
    author = Author.objects.filter(user__isnull=True, name__iexact=name).first()
    if author is None:
        author = Author(name=name)
    author.user = user
    author.save()
    return author


@receiver(m2m_changed, sender=Group.user_set.through)
def give_newsroom_staff_an_author_profile(sender, instance, action, pk_set, reverse, **kwargs):
    if action != "post_add":
        return
    if reverse:
        # group.user_set.add(user)
        if instance.name in NEWSROOM_GROUPS:
            from django.contrib.auth import get_user_model

            for user in get_user_model().objects.filter(pk__in=pk_set):
                ensure_author_profile(user)
    elif Group.objects.filter(pk__in=pk_set, name__in=NEWSROOM_GROUPS).exists():
        # user.groups.add(group)
        ensure_author_profile(instance)
