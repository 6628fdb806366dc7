"""Static files as served with DEBUG off: hashed, compressed names from WhiteNoise's manifest,
each name's URL worked out once per process (a page asks for the same few stylesheets and
icons on every visit, and the manifest does not change while the process runs)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force=True)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)
            return url
