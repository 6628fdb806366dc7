"""The editorial workflow's part of the article admin (list, permissions, transitions).

ArticleAdmin in `articles/admin.py` mixes this in; the form layout lives there.
"""


class ArticleWorkflowAdminMixin:
    pass
