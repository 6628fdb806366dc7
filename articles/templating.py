"""Django's template engine, with each page's objects freed as soon as the page is rendered.

A `RequestContext` and its layers point at each other (each `ContextDict` keeps its
`context`), so every rendered context, and everything it holds (the article, its cards, their
sections and pictures), is a reference cycle that only the garbage collector frees. A listing
left a couple of hundred such objects per request, and collecting them took a few percent of
the page's time. Emptying the context's layers once the page is rendered breaks the cycles;
everything else is Django's `DjangoTemplates`.
"""

from django.template import TemplateDoesNotExist
from django.template.backends import django as django_backend
from django.template.context import make_context


class Template(django_backend.Template):
    def render(self, context=None, request=None):
        context = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(context)
        except TemplateDoesNotExist as exc:
            django_backend.reraise(exc, self.backend)
        finally:
            context.dicts.clear()


class DjangoTemplates(django_backend.DjangoTemplates):
    def from_string(self, template_code):
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)
