"""Markdown -> plain paragraphs with markdown-it-py (a real CommonMark parser, not regular expressions).

Headings, paragraphs, list items and table cells each become one paragraph (blank line between);
links keep their text, images their alt text, emphasis and code marks are dropped. Tables and
HTML blocks keep their text too.

>>> print(markdown_to_text('# Clinic breach\\n\\nA [nurse](/x "title") saw ![records](r.png).\\n\\n- names\\n- *dates*'))
Clinic breach
<BLANKLINE>
A nurse saw records.
<BLANKLINE>
names
<BLANKLINE>
dates
"""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type == "image":
            parts.append(_inline_text(child))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts).strip()


def markdown_to_text(markdown: str, headings: bool = True) -> str:
    """Plain text of a Markdown document, one paragraph per block, separated by blank lines.

    ``headings=False`` leaves section headings out (a source whose headings are only structure,
    such as "What Happened" or "Count II").
    """
    paragraphs = []
    in_heading = False
    for token in _parser().parse(markdown):
        if token.type in ("heading_open", "heading_close"):
            in_heading = token.type == "heading_open"
            continue
        if in_heading and not headings:
            continue
        if token.type == "inline":
            text = _inline_text(token)
        elif token.type in ("code_block", "fence", "html_block"):
            text = token.content.strip()
        else:
            continue
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)
