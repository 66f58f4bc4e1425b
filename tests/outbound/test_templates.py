"""Templates: the most specific one wins, the operator's directory first, HTML escaped, the sandbox
holds, and an edited template is picked up without a restart."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

import outbound.templates
from outbound.templates import Templates

CONTEXT = {"organisation": "Acme", "case_ref": "FD-7", "sender_name": "Dana <b>", "urgency": "normal"}


def write(directory, name: str, text: str) -> None:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_bundled_default_never_promises_an_outcome():
    rendered = Templates().render("ack", "api", "normal", CONTEXT)
    assert rendered.subject == "We have received your message [FD-7]"
    assert "FD-7" in rendered.text and "refund" not in rendered.text.lower()


def test_the_most_specific_operator_template_wins_and_html_is_escaped(tmp_path):
    write(tmp_path, "ack/api/critical.txt.j2", "{% block subject %}Urgent {{ case_ref }}{% endblock %}"
                                                "{% block body %}Hi {{ sender_name }}{% endblock %}")
    write(tmp_path, "ack/api/critical.html.j2", "<p>Hi {{ sender_name }}</p>")
    templates = Templates(tmp_path)

    critical = templates.render("ack", "api", "critical", CONTEXT)
    assert (critical.subject, critical.text) == ("Urgent FD-7", "Hi Dana <b>\n")  # plain text is not HTML
    assert critical.html == "<p>Hi Dana &lt;b&gt;</p>"
    normal = templates.render("ack", "api", "normal", CONTEXT)
    assert normal.subject == "We have received your message [FD-7]" and normal.html is None


def test_an_edited_template_is_picked_up_after_the_recheck_interval(tmp_path, monkeypatch):
    write(tmp_path, "ack/default.txt.j2", "{% block subject %}First{% endblock %}{% block body %}x{% endblock %}")
    templates = Templates(tmp_path)
    assert templates.render("ack", "api", "normal", CONTEXT).subject == "First"

    write(tmp_path, "ack/api/default.txt.j2", "{% block subject %}Second{% endblock %}{% block body %}x{% endblock %}")
    assert templates.render("ack", "api", "normal", CONTEXT).subject == "First"  # the choice is kept a while
    monkeypatch.setattr(outbound.templates, "RECHECK_SECONDS", 0.0)
    assert templates.render("ack", "api", "normal", CONTEXT).subject == "Second"


def test_a_template_cannot_reach_python_internals(tmp_path):
    write(tmp_path, "ack/default.txt.j2", "{% block subject %}{{ ''.__class__.__mro__ }}{% endblock %}")
    with pytest.raises(SecurityError):
        Templates(tmp_path).render("ack", "api", "normal", CONTEXT)
