"""HTML mail turned into plain text (stdlib html.parser): what a reader sees, without markup, scripts or styles."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

_BLOCKS: Final = frozenset(
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hr "
    "main nav ol p pre section table tbody thead tfoot tr ul".split()
)
_HIDDEN: Final = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"})
_SPACES: Final = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES: Final = re.compile(r"\n{3,}")
# Where a <blockquote> opens and closes, each on a line of its own, so that its lines can be written as a plain-text
# client quotes them ("> "): quoted.py then finds the history an HTML-only reply quotes. Non-characters: no text has them.
_QUOTE_OPEN, _QUOTE_CLOSE = "\ufdd0", "\ufdd1"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0
        self.links: list[str | None] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
            return
        if tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "blockquote":
            self.parts.append(f"{_QUOTE_OPEN}\n")
        if tag == "pre":
            self.pre += 1
        elif tag == "td" or tag == "th":
            self.parts.append(" ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt and not self.hidden:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "blockquote":
            self.parts.append(f"\n{_QUOTE_CLOSE}")
        if tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            # The target is text the reader would follow: keep it, so the redactor sees it (not just the words).
            if href and not self.hidden and href.lower().startswith(("http://", "https://", "mailto:", "tel:")):
                self.parts.append(f" ({href.removeprefix('mailto:').removeprefix('tel:')})")

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        data = data.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "")
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The readable text of an HTML document: blocks on lines of their own, list items as "- ", a link's target after
    its words (the redactor then judges it), a blockquote's lines quoted with "> ", nothing of scripts, styles or the
    head."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines: list[str] = []
    depth = 0
    for line in "".join(parser.parts).split("\n"):
        line = _SPACES.sub(" ", line).strip()
        depth += line.count(_QUOTE_OPEN) - line.count(_QUOTE_CLOSE)
        depth = max(depth, 0)
        line = line.replace(_QUOTE_OPEN, "").replace(_QUOTE_CLOSE, "").strip()
        lines.append(f"{'>' * depth} {line}" if depth and line else line)
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
