"""excerpts.yaml and topics.yaml: verbatim quotes from article.txt, and the topics they answer."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.content_files.yaml_file import YamlFile, parse_yaml
from dialogs.content import Excerpt

MAX_TOPIC_EXCERPTS = 3


def normalise_whitespace(text: str) -> str:
    """Collapse runs of whitespace to single spaces (how excerpts are matched to the article)."""
    return " ".join(text.split())


def load_excerpts(directory: Path, article: str) -> tuple[str, Mapping[str, Excerpt]]:
    """The article's title and every excerpt by id, each checked to quote the article."""
    file = YamlFile("excerpts.yaml")
    document = parse_yaml(directory, file.name)
    source = file.mapping(document.get("source"), "source")
    title = file.get(source, "title", "source", str)
    article_flat = normalise_whitespace(article)
    if not article_flat.startswith(normalise_whitespace(title)):
        raise file.fail("source.title", "does not match the first line of article.txt")
    excerpts: dict[str, Excerpt] = {}
    for key, entry, excerpt_id in file.entries(document, "excerpts"):
        section = file.get(entry, "section", key, str)
        text = file.get(entry, "text", key, str)
        if normalise_whitespace(text) not in article_flat:
            raise file.fail(f"{key}.text", f"excerpt {excerpt_id!r} is not a verbatim quote from article.txt")
        if section != "Introduction" and f"\n{section}\n" not in f"\n{article}\n":
            raise file.fail(f"{key}.section", f"{section!r} is not a section heading of article.txt")
        excerpts[excerpt_id] = Excerpt(excerpt_id, section, normalise_whitespace(text))
    return title, MappingProxyType(excerpts)


def excerpt_refs(file: YamlFile, entry: Mapping[str, Any], key: str, excerpts: Mapping[str, Excerpt]) -> tuple[str, ...]:
    """The entry's ``excerpts`` list, each id known to excerpts.yaml."""
    refs = file.strings(entry, "excerpts", key)
    for index, ref in enumerate(refs):
        if ref not in excerpts:
            raise file.fail(f"{key}.excerpts[{index}]", f"unknown excerpt {ref!r} (not in excerpts.yaml)")
    return refs


def load_topics(directory: Path, excerpts: Mapping[str, Excerpt]) -> Mapping[str, tuple[str, ...]]:
    """topics.yaml: each question topic the article answers, with one to three excerpts."""
    file = YamlFile("topics.yaml")
    document = parse_yaml(directory, file.name)
    topics: dict[str, tuple[str, ...]] = {}
    for key, entry, topic_id in file.entries(document, "topics"):
        refs = excerpt_refs(file, entry, key, excerpts)
        if len(refs) > MAX_TOPIC_EXCERPTS:
            raise file.fail(f"{key}.excerpts", f"has {len(refs)} excerpts; at most {MAX_TOPIC_EXCERPTS} answer a question")
        topics[topic_id] = refs
    return MappingProxyType(topics)
