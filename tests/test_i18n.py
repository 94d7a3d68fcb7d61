"""Every piece of UI text exists in both languages, and every error the server can send
has a Chinese message (English shows the server's own summary)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC_JS = ROOT / "static" / "js"


def table(lang: str) -> dict[str, str]:
    """One language's strings (static/js/strings-<lang>.js, which i18n.js imports)."""
    text = (STATIC_JS / f"strings-{lang}.js").read_text(encoding="utf-8")
    entries = re.findall(r'^\s+"?([\w.\s]+?)"?: "(.*)",$', text, re.M)
    return dict(entries)


def test_both_languages_have_the_same_ui_keys() -> None:
    en = {k for k in table("en") if not k.startswith("err.")}
    zh = {k for k in table("zh") if not k.startswith("err.")}
    assert en == zh, (en ^ zh)
    assert len(en) > 40


def test_every_server_error_key_has_a_chinese_message() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "app").rglob("*.py"))
    keys = set(re.findall(r'key="([a-z_]+)"', source)) | {"unknown_function_hint", "network"}
    translated = {k[4:] for k in table("zh") if k.startswith("err.")}
    assert keys - translated == set()


def test_every_translatable_element_in_the_page_has_a_key() -> None:
    template = (ROOT / "templates" / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-i18n="(\w+)"', template))
    assert used <= set(table("en")) and used <= set(table("zh"))


def test_chinese_text_is_chinese() -> None:
    zh = table("zh")
    for key in ("tagline", "start", "seed", "done", "localRule", "runningSum"):
        assert re.search(r"[\u4e00-\u9fff]", zh[key]), key
