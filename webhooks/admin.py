"""Webhooks in the admin: integrators register endpoints, see each one's deliveries, send a
test event and resume a paused endpoint."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from articles.models import SideEffect
from articles.tasks import idempotency_key

from . import addresses, events
from .models import Delivery, Endpoint, Event


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A scheduled story's go-live is “article.published”, sent at its second."),
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "events", "owner", "active"]
        # A plain address box: the admin's URL widget adds "Currently: <link> Change:".
        widgets = {"url": forms.URLInput(attrs={"placeholder": "https://", "size": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Someone who can sign in and act on the e-mail; a plain list (few people are staff).
        self.fields["owner"].queryset = get_user_model().objects.filter(
            is_active=True, is_staff=True
        )

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            addresses.check(url)
        except addresses.UnsafeURL as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "description", "owner", "state", "events_wanted", "deliveries_link"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    list_select_related = ["owner"]
    readonly_fields = ["secret_shown", "failing_since", "paused_at", "deliveries_link"]
    fields = [
        "url",
        "description",
        "events",
        "owner",
        "active",
        "secret_shown",
        "failing_since",
        "paused_at",
        "deliveries_link",
    ]
    actions = ["send_test_event", "resume"]

    def get_changeform_initial_data(self, request):
        return {"owner": request.user.pk, **super().get_changeform_initial_data(request)}

    def response_post_save_add(self, request, obj):
        # The secret is on the endpoint's page: show it at once, to be copied to the receiver.
        messages.info(request, _("Copy the signing secret below to the receiver."))
        return HttpResponseRedirect(reverse("admin:webhooks_endpoint_change", args=[obj.pk]))

    def save_model(self, request, obj, form, change):
        if obj.active and obj.paused_at:
            # Resumed by ticking "active": it starts with a clean slate.
            obj.paused_at = obj.failing_since = None
        super().save_model(request, obj, form, change)
        events.catch_up(obj)

    @admin.display(description=_("signing secret"))
    def secret_shown(self, obj):
        if obj.pk is None:
            return _("Made when the endpoint is saved.")
        return format_html(
            "<code>{}</code><br>{}",
            obj.secret,
            _("Copy it to the receiver: it verifies each delivery's webhook-signature."),
        )

    @admin.display(description=_("state"), ordering="active")
    def state(self, obj):
        if not obj.active:
            return _("paused")
        if obj.failing_since:
            return _("failing since %(when)s") % {
                "when": timezone.localtime(obj.failing_since).strftime("%Y-%m-%d %H:%M")
            }
        return _("active")

    @admin.display(description=_("events"))
    def events_wanted(self, obj):
        return ", ".join(obj.events)

    @admin.display(description=_("deliveries"))
    def deliveries_link(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("admin:webhooks_delivery_changelist")
        return format_html(
            '<a href="{}?{}">{}</a>',
            url,
            urlencode({"endpoint__id__exact": obj.pk}),
            _("Deliveries"),
        )

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        sent = 0
        for endpoint in queryset.filter(active=True):
            events.test(endpoint)
            sent += 1
        self.message_user(
            request,
            ngettext(
                "A test event is on its way to %(count)d endpoint; see its deliveries.",
                "A test event is on its way to %(count)d endpoints; see their deliveries.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS if sent else messages.WARNING,
        )

    @admin.action(description=_("Resume the selected paused endpoints"), permissions=["change"])
    def resume(self, request, queryset):
        paused = list(queryset.filter(active=False))
        resumed = queryset.filter(active=False).update(
            active=True, paused_at=None, failing_since=None
        )
        for endpoint in paused:
            endpoint.active = True
            events.catch_up(endpoint)
        self.message_user(
            request,
            ngettext("%(count)d endpoint resumed.", "%(count)d endpoints resumed.", resumed)
            % {"count": resumed},
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "event",
        "article",
        "state",
        "status_code",
        "attempted_at",
        "attempts",
        "next_retry",
        "last_error",
    ]
    list_filter = ["endpoint", "event", "side_effect__state"]
    list_select_related = ["endpoint", "article", "side_effect"]
    date_hierarchy = "created_at"
    search_fields = ["article__headline", "endpoint__url"]
    readonly_fields = [
        "endpoint",
        "event",
        "article",
        "state",
        "status_code",
        "first_attempt_at",
        "attempted_at",
        "delivered_at",
        "attempts",
        "next_retry",
        "last_error",
        "skipped",
        "webhook_id",
        "body",
    ]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("state"), ordering="side_effect__state")
    def state(self, obj):
        if obj.skipped:
            return _("not sent: %(reason)s") % {"reason": obj.skipped}
        if obj.delivered_at:
            return _("delivered")
        return obj.side_effect.get_state_display()

    @admin.display(description=_("attempts"))
    def attempts(self, obj):
        return obj.side_effect.attempts

    @admin.display(description=_("next attempt"))
    def next_retry(self, obj):
        if obj.side_effect.state != SideEffect.State.PENDING:
            return "—"
        return obj.side_effect.due_at

    @admin.display(description=_("last error"))
    def last_error(self, obj):
        if obj.delivered_at or obj.skipped:
            return ""
        return obj.side_effect.last_error[:200]

    @admin.display(description=_("webhook-id"))
    def webhook_id(self, obj):
        return idempotency_key(obj.side_effect)
