"""The fake server's ``parse_mode=HTML``: markup in, plain text plus entities out."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .entities import Entity, EntityParseError, ParsedText, sort_entities, utf16_len

__all__ = ["EntityParseError", "ParsedText", "checked_link", "parse_html"]

# Tags that simply wrap their content in one entity type (attributes checked later, if any).
_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "tg-spoiler": "spoiler",
    "a": "text_link", "pre": "pre",
}
_KNOWN_TAGS = frozenset(_SIMPLE_TAGS) | {"span", "code", "blockquote", "tg-emoji", "tg-time"}
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
_ATTRIBUTE = re.compile(
    r"""([A-Za-z_:][A-Za-z0-9_:.-]*)"""  # name
    r"""(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""  # optional value
)
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]*));")
_SPACES = re.compile(r"\s*")
_MARKUP_START = re.compile(r"[<&]")
_TIME_FORMAT = re.compile(r"r|w?[dD]?[tT]?")


# ----------------------------------------------------------------------------- links

_LINK_SCHEMES = frozenset(["http", "https", "tg", "ton", "tonsite", "ftp", "mailto"])
_SCHEME_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_HOST_ONLY = re.compile(r"[^\s/?#@:]+\.[A-Za-z][A-Za-z0-9-]*(?::[0-9]+)?(?:[/?#]|$)")


def checked_link(url: str) -> str:
    """Normalise a link target; ``""`` when it is not something a link can point to.

    ``example.org`` becomes ``http://example.org/``; an http(s) URL without a path gets
    ``/`` appended (``https://example.org`` -> ``https://example.org/``); ``tg:``, ``ton:``,
    ``tonsite:``, ``ftp:`` and ``mailto:`` links are returned unchanged. Anything with
    whitespace, an unknown scheme or no host is rejected.
    """
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return ""
    prefix = _SCHEME_PREFIX.match(url)
    scheme = prefix.group(1).lower() if prefix else ""
    if scheme not in _LINK_SCHEMES:
        if not _HOST_ONLY.match(url):
            return ""
        url, scheme = "http://" + url, "http"
    if scheme not in ("http", "https"):
        return url
    after_scheme = url[len(scheme) + 1 :]
    if not after_scheme.startswith("//"):
        return ""
    host_end = len(after_scheme)
    for index in range(2, len(after_scheme)):
        if after_scheme[index] in "/?#":
            host_end = index
            break
    if host_end == 2:
        return ""  # "http:///path": no host at all
    if host_end == len(after_scheme) or after_scheme[host_end] != "/":
        after_scheme = after_scheme[:host_end] + "/" + after_scheme[host_end:]
    return f"{scheme}:{after_scheme}"


# ----------------------------------------------------------------------------- parser


@dataclass(slots=True)
class _OpenElement:
    """A start tag whose end tag has not been seen yet."""

    tag: str
    position: int  # index of "<" in the source, for error messages
    order: int  # how many start tags came before it; keeps nested ties in document order
    offset: int  # UTF-16 offset in the plain text where its content begins
    first_chunk: int  # index into the output chunks where its content begins
    entity_type: str | None  # None: produces no entity of its own
    attributes: dict[str, str] = field(default_factory=dict)
    language: str | None = None  # for pre: set by a nested <code class="language-...">


class _HtmlReader:
    """Single left-to-right pass over the markup, keeping a stack of open tags."""

    def __init__(self, source: str, strict: bool) -> None:
        self.source = source
        self.strict = strict
        self.position = 0
        self.chunks: list[str] = []
        self.length16 = 0
        self.open: list[_OpenElement] = []
        self.finished: list[tuple[int, Entity]] = []
        self.tags_seen = 0

    # -- output

    def emit(self, text: str) -> None:
        if text:
            self.chunks.append(text)
            self.length16 += utf16_len(text)

    # -- main loop

    def run(self) -> ParsedText:
        source = self.source
        end = len(source)
        while self.position < end:
            char = source[self.position]
            if char == "<":
                self.read_tag()
            elif char == "&":
                decoded, self.position = self.read_reference(self.position)
                self.emit(decoded)
            else:
                special = _MARKUP_START.search(source, self.position)
                stop = special.start() if special is not None else end
                self.emit(source[self.position : stop])
                self.position = stop
        if self.open:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.open[-1].tag}"')
        self.finished.sort(key=lambda item: item[0])
        return ParsedText("".join(self.chunks), sort_entities(entity for _, entity in self.finished))

    # -- character references

    def read_reference(self, start: int) -> tuple[str, int]:
        """Decode the reference at ``source[start] == "&"``; return (text, next position)."""
        match = _REFERENCE.match(self.source, start)
        if match is not None:
            decimal, hexadecimal, name = match.groups()
            if name is not None:
                if name in _NAMED_REFERENCES:
                    return _NAMED_REFERENCES[name], match.end()
                if self.strict:
                    raise EntityParseError(
                        f'Unsupported character reference "{match.group(0)}" at position '
                        f'{start}; only &lt; &gt; &amp; &quot; and numeric ones are allowed'
                    )
            else:
                code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
                if 0 < code_point <= 0x10FFFF and not 0xD800 <= code_point <= 0xDFFF:
                    return chr(code_point), match.end()
                if self.strict:
                    raise EntityParseError(f'Invalid character reference "{match.group(0)}" at position {start}')
        elif self.strict:
            raise EntityParseError(f'Unescaped "&" at position {start}; write "&amp;" for a literal "&"')
        return "&", start + 1

    def decode_value(self, raw: str, start: int) -> str:
        """Decode character references inside an attribute value found at ``start``."""
        if "&" not in raw:
            return raw
        parts: list[str] = []
        index = 0
        while index < len(raw):
            amp = raw.find("&", index)
            if amp < 0:
                parts.append(raw[index:])
                break
            parts.append(raw[index:amp])
            # Resolve against the source so the error positions point at the right place.
            decoded, after = self.read_reference(start + amp)
            parts.append(decoded)
            index = after - start
        return "".join(parts)

    # -- tags

    def read_tag(self) -> None:
        start = self.position
        match = _TAG_OPEN.match(self.source, start)
        if match is None:
            raise EntityParseError(f'Unescaped "<" at position {start}; write "&lt;" for a literal "<"')
        closing = match.group(1) == "/"
        tag = match.group(2).lower()
        if tag not in _KNOWN_TAGS:
            kind = "end" if closing else "start"
            raise EntityParseError(f'Unsupported {kind} tag "{tag}" at position {start}')
        if closing:
            after = _SPACES.match(self.source, match.end()).end()
            if not self.source.startswith(">", after):
                raise EntityParseError(f'End tag "{tag}" at position {start} is not closed by ">"')
            self.position = after + 1
            self.close(tag, start)
        else:
            attributes, self.position = self.read_attributes(tag, start, match.end())
            self.start(tag, start, attributes)

    def read_attributes(self, tag: str, start: int, index: int) -> tuple[dict[str, str], int]:
        source = self.source
        attributes: dict[str, str] = {}
        while True:
            index = _SPACES.match(source, index).end()
            if index >= len(source):
                raise EntityParseError(f'Start tag "{tag}" at position {start} is not closed by ">"')
            if source[index] == ">":
                return attributes, index + 1
            if source.startswith("/>", index):
                raise EntityParseError(f'Self-closing tag "{tag}" at position {start} is not supported')
            match = _ATTRIBUTE.match(source, index)
            if match is None:
                raise EntityParseError(f'Malformed attribute in tag "{tag}" at position {index}')
            name = match.group(1).lower()
            value_group = next((group for group in (2, 3, 4) if match.group(group) is not None), None)
            value = ""
            if value_group is not None:
                value = self.decode_value(match.group(value_group), match.start(value_group))
            attributes.setdefault(name, value)
            index = match.end()

    def start(self, tag: str, position: int, attributes: dict[str, str]) -> None:
        parent = self.open[-1] if self.open else None
        entity_type: str | None
        if tag in _SIMPLE_TAGS:
            entity_type = _SIMPLE_TAGS[tag]
        elif tag == "span":
            if attributes.get("class") != "tg-spoiler":
                raise EntityParseError(f'Tag "span" at position {position} must have class="tg-spoiler"')
            entity_type = "spoiler"
        elif tag == "code":
            inside_pre = parent is not None and parent.tag == "pre" and parent.offset == self.length16
            entity_type = None if inside_pre else "code"
            if inside_pre and parent is not None:
                language = attributes.get("class", "")
                if language.startswith("language-") and len(language) > len("language-"):
                    parent.language = language[len("language-") :]
        elif tag == "blockquote":
            entity_type = "expandable_blockquote" if "expandable" in attributes else "blockquote"
        elif tag == "tg-emoji":
            if not attributes.get("emoji-id", "").isdigit():
                raise EntityParseError(f'Tag "tg-emoji" at position {position} needs a numeric "emoji-id" attribute')
            entity_type = "custom_emoji"
        else:  # tg-time
            if not re.fullmatch(r"-?[0-9]+", attributes.get("unix", "")):
                raise EntityParseError(f'Tag "tg-time" at position {position} needs a numeric "unix" attribute')
            if not _TIME_FORMAT.fullmatch(attributes.get("format", "")):
                raise EntityParseError(f'Unsupported "format" of tag "tg-time" at position {position}')
            entity_type = "date_time"
        if self.strict:
            self.check_nesting(tag, position, entity_type)
        self.open.append(_OpenElement(tag, position, self.tags_seen, self.length16, len(self.chunks), entity_type, attributes))
        self.tags_seen += 1

    def check_nesting(self, tag: str, position: int, entity_type: str | None) -> None:
        """Refuse the combinations the documentation says can't contain each other."""
        parent = self.open[-1] if self.open else None
        if parent is not None and parent.tag in ("code", "pre") and entity_type is not None:
            raise EntityParseError(f'Tag "{tag}" at position {position} can\'t be inside "{parent.tag}"')
        if tag in ("a", "blockquote") and any(element.tag == tag for element in self.open):
            raise EntityParseError(f'Tag "{tag}" at position {position} can\'t be nested inside another "{tag}"')

    def close(self, tag: str, position: int) -> None:
        if not self.open:
            raise EntityParseError(f'Unmatched end tag "{tag}" at position {position}: no tag is open')
        element = self.open[-1]
        if element.tag != tag:
            raise EntityParseError(
                f'Unmatched end tag "{tag}" at position {position}: '
                f'the innermost open tag is "{element.tag}"'
            )
        self.open.pop()
        entity = self.entity_for(element)
        if entity is not None and entity.length > 0:
            self.finished.append((element.order, entity))

    def entity_for(self, element: _OpenElement) -> Entity | None:
        offset, length = element.offset, self.length16 - element.offset
        kind = element.entity_type
        attributes = element.attributes
        if kind is None:
            return None
        if kind == "text_link":
            href = attributes.get("href", "").strip()
            if not href:
                if self.strict:
                    raise EntityParseError(f'Tag "a" at position {element.position} needs a non-empty "href"')
                href = "".join(self.chunks[element.first_chunk :])
            url = checked_link(href)
            if not url:
                if self.strict:
                    raise EntityParseError(f'Tag "a" at position {element.position} has an invalid URL')
                return None
            return Entity(kind, offset, length, url=url)
        if kind == "pre":
            return Entity(kind, offset, length, language=element.language)
        if kind == "custom_emoji":
            return Entity(kind, offset, length, custom_emoji_id=attributes["emoji-id"])
        if kind == "date_time":
            return Entity(kind, offset, length, unix_time=int(attributes["unix"]),
                          date_time_format=attributes.get("format") or None)
        return Entity(kind, offset, length)


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Bot API HTML into plain text and entities.

    Raises :class:`EntityParseError` (whose ``description`` is the Bot API error text) for
    markup the Bot API would refuse; see the module docstring for ``strict``.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise EntityParseError("Text must be valid Unicode (it contains a lone surrogate)") from None
    return _HtmlReader(text, strict).run()


