"""Text helpers for mail: HTML to plain text, accent-free keys, names and short source labels."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

# Elements whose content is never text a person wrote (and must never reach a lead as text).
_SKIPPED = {"script", "style", "head", "title", "noscript", "template", "svg", "object", "iframe"}
# Elements that start a new line when rendered.
_BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p",
    "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_VOID = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS and tag not in _VOID:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: tags, scripts and styles gone, one paragraph per line."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser on hopeless markup: keep what was read
        pass
    return tidy("".join(parser.chunks))


def tidy(text: str) -> str:
    """Blanks collapsed inside lines, at most one empty line in a row, no leading/trailing blanks."""
    lines = [" ".join(line.replace("\u00a0", " ").split()) for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def fold(text: str) -> str:
    """'Téléphone ' -> 'telephone': lower-case, accents removed, blanks collapsed (for matching keys)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return " ".join(plain.split())


def split_name(full: str) -> tuple[str, str]:
    """'Thomas Lefèvre' -> ('Thomas', 'Lefèvre'); 'LEFÈVRE Thomas' -> ('Thomas', 'LEFÈVRE'); one word = last."""
    words = full.split()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    # French forms often write the family name in capitals, first or last.
    capitals = [w for w in words if len(w) > 1 and w.isupper()]
    if capitals and len(capitals) < len(words):
        return " ".join(w for w in words if w not in capitals), " ".join(capitals)
    return words[0], " ".join(words[1:])


# Words that say what kind of mail it is, not who sends it ("Leboncoin Pro", "AutoScout24 Notifications").
_GENERIC_WORDS = {
    "pro", "pros", "professionnel", "professionnels", "professional", "leads", "lead", "notification",
    "notifications", "noreply", "no-reply", "no", "reply", "service", "services", "team", "equipe",
    "contact", "contacts", "info", "infos", "alerte", "alertes", "alert", "alerts", "mail", "mailer",
}
# Host labels that name a mail server, not the sender.
_GENERIC_HOSTS = {"www", "mail", "mx", "smtp", "pro", "pros", "em", "e", "news", "noreply", "no-reply",
                  "notifications", "notification", "leads", "info", "mailer", "bounce", "bounces", "m", "email"}
MAX_SOURCE = 32


def source_label(display_name: str, domain: str) -> str:
    """A short, stable source name for a sender: 'Leboncoin Pro' -> 'leboncoin', else from the domain."""
    name = fold(display_name)
    if " via " in name:  # "Jean Dupont via Leboncoin": the portal is after "via"
        name = name.rsplit(" via ", 1)[1]
    words = [w for w in re.split(r"[\s_.,|:]+", name) if w and w not in _GENERIC_WORDS]
    label = re.sub(r"[^a-z0-9-]", "", "".join(words)).strip("-")
    if not label:
        labels = [part for part in fold(domain).split(".") if part]
        # "pro.example-portal.fr" -> "example-portal": the label before the top-level domain.
        useful = [part for part in labels[:-1] if part not in _GENERIC_HOSTS] if len(labels) > 1 else labels
        label = re.sub(r"[^a-z0-9-]", "", useful[-1] if useful else "").strip("-")
    return label[:MAX_SOURCE] or "email"
