"""Rendering acknowledgments and pages from Jinja2 templates in a sandbox.

Templates are chosen by channel and urgency, most specific first:
`ack/<channel>/<urgency>`, `ack/<channel>/default`, `ack/default/<urgency>`,
`ack/default`; for a message in another language than English, the same four
with the language code come first (`ack/default.de`): a reply the customer can
read beats the channel's own wording. Each defines the blocks `subject` and
`body` (and optionally `html`). The operator's `acknowledgments.templates_dir`
is searched before the bundled ones, and the operator's own English template
beats our translation of a template at the same or a less specific name: their
wording (opening hours, what their lawyers approved) is what they chose to
send, and they add translations of it as `….de.txt.j2`. HTML blocks are
autoescaped; plain-text ones are not HTML.

The choice for a (kind, channel, urgency, language) is kept for
RECHECK_SECONDS: looking it up asks the loaders for up to nine files (and an
HTML sibling), each a stat() of the disk, which cost more than rendering. An
edited template shows within that time.
"""

from __future__ import annotations

import time
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from frontdesk.models import Rendered

RECHECK_SECONDS = 10.0
ENGLISH = "en"  # the bundled templates without a language code are English


class Templates:
    """The template environment; one per process."""

    def __init__(self, override_dir: Path | None = None):
        self.override_dir = override_dir
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        loaders.append(PackageLoader("outbound", "templates"))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            autoescape=lambda name: bool(name) and name.endswith((".html.j2", ".html")),
        )
        self.html_env = self.env.overlay(autoescape=True)
        self._chosen: dict[tuple[str, str, str, str | None], tuple[float, object, object]] = {}

    def names_for(self, kind: str, channel: str, urgency: str, language: str | None = None) -> list[str]:
        """Candidate template names, most specific first (in `language` first, when it is not English)."""
        stems = [f"{kind}/{channel}/{urgency}", f"{kind}/{channel}/default", f"{kind}/default/{urgency}",
                 f"{kind}/default"]
        languages = [f".{language}", ""] if language and language != ENGLISH else [""]
        return [f"{stem}{suffix}.txt.j2" for suffix in languages for stem in stems]

    def render(self, kind: str, channel: str, urgency: str, context: dict, language: str | None = None,
               **fields) -> Rendered:
        """Render the most specific template for (kind, channel, urgency, language) into a Rendered."""
        template, html_template = self._choose(kind, channel, urgency, language)
        blocks = self._blocks(template, context)
        html = html_template.render(context) if html_template is not None else None
        return Rendered(kind=kind, subject=" ".join(blocks["subject"].split()), text=blocks["body"].strip() + "\n",
                        html=html, **fields)

    def _blocks(self, template, context: dict) -> dict[str, str]:
        # Rendering the whole template once registers inherited blocks in the context.
        jinja_context = template.new_context(context)
        "".join(template.root_render_func(jinja_context))
        return {
            name: "".join(jinja_context.blocks[name][0](jinja_context)) if name in jinja_context.blocks else ""
            for name in ("subject", "body")
        }

    def _choose(self, kind: str, channel: str, urgency: str, language: str | None):
        """The text template and its HTML sibling (or None) for these, as chosen at most RECHECK_SECONDS ago."""
        key = (kind, channel, urgency, language)
        chosen = self._chosen.get(key)
        if chosen is None or time.monotonic() - chosen[0] > RECHECK_SECONDS:
            names = self.names_for(kind, channel, urgency, language)
            template = self._operators_english(self.env.select_template(names), names, language)
            try:
                html = self.html_env.get_template(template.name.replace(".txt.j2", ".html.j2"))
            except TemplateNotFound:
                html = None
            chosen = self._chosen[key] = (time.monotonic(), template, html)
        return chosen[1], chosen[2]

    def _operators_english(self, template, names: list[str], language: str | None):
        """`template`, unless it is our translation and the operator wrote an English template of the same or a
        more specific name: then theirs."""
        translated = [name for name in names if language and name.endswith(f".{language}.txt.j2")]
        if self.override_dir is None or template.name not in translated \
                or _is_within(template.filename, self.override_dir):
            return template
        english = [name for name in names if name not in translated]  # in the same order, most specific first
        for name in english[:translated.index(template.name) + 1]:
            if (self.override_dir / name).is_file():
                return self.env.get_template(name)
        return template


def _is_within(filename: str | None, folder: Path) -> bool:
    return filename is not None and Path(filename).resolve().is_relative_to(folder.resolve())
