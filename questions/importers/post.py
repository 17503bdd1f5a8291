"""Blog posts with front matter from any generator (Hakyll, Jekyll…) in the Hexo shape: `## section`
headings and numbered lists whose top-level items are the questions. Read like a Hexo post."""

from __future__ import annotations

from . import hexo
from .base import ParsedSeed

__all__ = ["FORMAT", "detect", "parse"]

FORMAT = "post"


def detect(text: str) -> bool:
    return hexo.is_post(text) and not hexo.is_hexo(text)


def parse(text: str) -> ParsedSeed:
    return hexo.parse(text, FORMAT)
