"""A bad file gets one line saying what is wrong (and where), and nothing is written."""

import pytest
from django.core.management.base import CommandError

from articles.models import Article
from wordpress.models import WordPressSite

from .conftest import EXPORT, run_import

pytestmark = pytest.mark.django_db


def refused(path):
    with pytest.raises(CommandError) as caught:
        run_import(path)
    message = str(caught.value)
    assert "\n" not in message
    assert Article.objects.count() == 0
    assert WordPressSite.objects.count() == 0
    return message


def test_a_file_that_is_not_xml(tmp_path):
    path = tmp_path / "export.xml"
    path.write_text("title,body\nHello,World\n")
    assert "this is not XML, at line 1" in refused(path)


def test_an_xml_file_that_is_not_an_export(tmp_path):
    path = tmp_path / "export.xml"
    path.write_text('<?xml version="1.0"?><html><body>Hi</body></html>')
    assert "not a WordPress export (WXR): it starts with <html>" in refused(path)


def test_a_plain_rss_feed_is_not_an_export(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    )
    assert "an RSS feed, not a WordPress export" in refused(path)


def test_a_truncated_export_names_the_line_and_imports_nothing(tmp_path):
    text = EXPORT.read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: len(text) // 2])
    message = refused(path)
    assert "the file ends too early: the export is incomplete (cut off), at line" in message


def test_an_external_entity_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = EXPORT.read_text().replace(
        '<?xml version="1.0" encoding="UTF-8" ?>',
        f'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>',
    )
    path = tmp_path / "xxe.xml"
    path.write_text(text.replace("<title>The Harbour Times</title>", "<title>&x;</title>"))
    message = refused(path)
    assert "declares a DOCTYPE" in message
    assert "TOP-SECRET" not in message


def test_a_billion_laughs_expansion_is_refused(tmp_path):
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    path = tmp_path / "laughs.xml"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]>'
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&l9;</title>'
        "</channel></rss>"
    )
    message = refused(path)
    assert "declares a DOCTYPE" in message or "declares entities, which are refused" in message


def test_a_missing_file(tmp_path):
    assert "cannot read the file" in refused(tmp_path / "nope.xml")
