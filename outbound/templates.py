"""Rendering acknowledgments and pages from Jinja2 templates in a sandbox.

Templates are chosen by channel and urgency, most specific first:
`ack/<channel>/<urgency>`, `ack/<channel>/default`, `ack/default/<urgency>`,
`ack/default`. Each defines the blocks `subject` and `body` (and optionally
`html`). The operator's `acknowledgments.templates_dir` is searched before the
bundled ones. HTML blocks are autoescaped; plain-text ones are not HTML.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment

from frontdesk.models import Rendered


class Templates:
    """The template environment; one per process."""

    def __init__(self, override_dir: Path | None = None):
        loaders = [FileSystemLoader(str(override_dir))] if override_dir else []
        loaders.append(PackageLoader("outbound", "templates"))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
            autoescape=lambda name: bool(name) and name.endswith((".html.j2", ".html")),
        )
        self.html_env = self.env.overlay(autoescape=True)

    def names_for(self, kind: str, channel: str, urgency: str) -> list[str]:
        """Candidate template names, most specific first."""
        return [f"{kind}/{channel}/{urgency}.txt.j2", f"{kind}/{channel}/default.txt.j2",
                f"{kind}/default/{urgency}.txt.j2", f"{kind}/default.txt.j2"]

    def render(self, kind: str, channel: str, urgency: str, context: dict, **fields) -> Rendered:
        """Render the most specific template for (kind, channel, urgency) into a Rendered."""
        template = self.env.select_template(self.names_for(kind, channel, urgency))
        blocks = self._blocks(template, context)
        html = self._html(template.name, context)
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

    def _html(self, text_name: str, context: dict) -> str | None:
        try:
            template = self.html_env.get_template(text_name.replace(".txt.j2", ".html.j2"))
        except TemplateNotFound:
            return None
        return template.render(context)
