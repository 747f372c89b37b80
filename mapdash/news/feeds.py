"""The news as RSS 2.0 and Atom 1.0 feeds: well-formed XML written by ElementTree (text
escaped by it), RFC 822 dates in RSS and RFC 3339 in Atom, every link absolute."""
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from mapdash.models import Announcement, Organization
from mapdash.news.announcements import published_at

ATOM = "http://www.w3.org/2005/Atom"
SUMMARY_LIMIT = 500


def _summary(announcement: Announcement) -> str:
    text = " ".join(announcement.body.split())
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1] + "…"


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def rss(org: Organization, items: list[Announcement], *, title: str, site_url: str,
        feed_url: str, item_url: Callable[[Announcement], str],
        photo_url: Callable[[Announcement], str], now: datetime) -> bytes:
    ET.register_namespace("atom", ATOM)
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = site_url
    ET.SubElement(channel, "description").text = title
    ET.SubElement(channel, "language").text = "th"
    ET.SubElement(channel, f"{{{ATOM}}}link", href=feed_url, rel="self",
                  type="application/rss+xml")
    newest = max((published_at(a) for a in items), default=now)
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(newest.astimezone(UTC), usegmt=True)
    for announcement in items:
        item = ET.SubElement(channel, "item")
        link = item_url(announcement)
        ET.SubElement(item, "title").text = announcement.title
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", isPermaLink="true").text = link
        ET.SubElement(item, "description").text = _summary(announcement)
        ET.SubElement(item, "pubDate").text = format_datetime(
            published_at(announcement).astimezone(UTC), usegmt=True)
        if announcement.photo_sha256:
            ET.SubElement(item, "enclosure", url=photo_url(announcement), type="image/jpeg",
                          length=str(len(announcement.photo or b"")))
    return _xml(root)


def atom(org: Organization, items: list[Announcement], *, title: str, site_url: str,
         feed_url: str, item_url: Callable[[Announcement], str],
         photo_url: Callable[[Announcement], str], now: datetime) -> bytes:
    ET.register_namespace("", ATOM)

    def sub(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", **attributes)
        if text is not None:
            element.text = text
        return element

    root = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "th"})
    sub(root, "id", feed_url)
    sub(root, "title", title)
    newest = max((a.updated_at for a in items), default=now)
    sub(root, "updated", newest.astimezone(UTC).isoformat(timespec="seconds"))
    sub(root, "link", href=feed_url, rel="self", type="application/atom+xml")
    sub(root, "link", href=site_url, rel="alternate", type="text/html")
    author = sub(root, "author")
    sub(author, "name", org.name_th)
    for announcement in items:
        entry = sub(root, "entry")
        link = item_url(announcement)
        sub(entry, "id", link)
        sub(entry, "title", announcement.title)
        sub(entry, "link", href=link, rel="alternate", type="text/html")
        sub(entry, "published", published_at(announcement).astimezone(UTC).isoformat(timespec="seconds"))
        sub(entry, "updated", announcement.updated_at.astimezone(UTC).isoformat(timespec="seconds"))
        sub(entry, "summary", _summary(announcement))
        if announcement.photo_sha256:
            sub(entry, "link", href=photo_url(announcement), rel="enclosure", type="image/jpeg")
    return _xml(root)
