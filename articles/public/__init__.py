"""The public site: what readers see, every page read through `Article.objects.published()`.

`views` (pages), `listings` (their reads), `feeds`, `sitemaps`, `jsonld` (structured data),
`bylines` (the byline phrase). Templates are in `templates/articles/` and
`templates/includes/`; template tags in `articles/templatetags/public.py` and `images.py`.
"""
