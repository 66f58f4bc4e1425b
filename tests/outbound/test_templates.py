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


BUNDLED_LANGUAGES = ("de", "es", "fr", "it", "nl", "pt")


@pytest.mark.parametrize("language", BUNDLED_LANGUAGES)
@pytest.mark.parametrize("urgency", ["critical", "high", "normal", "low"])
def test_a_message_in_another_language_is_acknowledged_in_it_without_a_promise(language, urgency):
    rendered = Templates().render("ack", "email", urgency, CONTEXT | {"urgency": urgency}, language=language)
    english = Templates().render("ack", "email", urgency, CONTEXT | {"urgency": urgency})
    assert rendered.subject.endswith("[FD-7]") and rendered.subject != english.subject
    assert "FD-7" in rendered.text and "Dana <b>" in rendered.text and "Acme" in rendered.text
    assert rendered.text.count("\n\n") == english.text.count("\n\n")  # the emergency line only when critical
    assert not any(word in rendered.text.lower() for word in ("erstatt", "rembours", "reembols", "rimbors", "reembols",
                                                               "terugbetal", "garant"))


def test_english_and_languages_without_a_template_get_the_english_one():
    for language in (None, "en", "fi"):
        assert Templates().render("ack", "api", "normal", CONTEXT, language=language).subject == \
            "We have received your message [FD-7]"


def test_the_language_comes_before_the_channel_in_the_choice():
    assert Templates().names_for("ack", "sms", "high", "de") == [
        "ack/sms/high.de.txt.j2", "ack/sms/default.de.txt.j2", "ack/default/high.de.txt.j2", "ack/default.de.txt.j2",
        "ack/sms/high.txt.j2", "ack/sms/default.txt.j2", "ack/default/high.txt.j2", "ack/default.txt.j2"]
    assert Templates().names_for("ack", "sms", "high", "en") == Templates().names_for("ack", "sms", "high")


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


OWN = "{% block subject %}ACME complaints {{ case_ref }}{% endblock %}{% block body %}We answer within 5 days{% endblock %}"
OWN_GERMAN = "{% block subject %}ACME Beschwerden {{ case_ref }}{% endblock %}{% block body %}Antwort in 5 Tagen{% endblock %}"


@pytest.mark.parametrize("name", ["ack/default.txt.j2", "ack/default/normal.txt.j2", "ack/email/default.txt.j2"])
def test_the_operators_own_english_wording_beats_our_translation_of_what_it_replaced(tmp_path, name):
    write(tmp_path, name, OWN)
    templates = Templates(tmp_path)
    assert templates.render("ack", "email", "normal", CONTEXT, language="de").subject == "ACME complaints FD-7"
    # Where the operator's template does not reach (another channel, another urgency), ours still answers.
    other = templates.render("ack", "sms", "high", CONTEXT, language="de").subject
    assert other.startswith("ACME complaints" if name == "ack/default.txt.j2" else "Wir haben Ihre Nachricht")


def test_the_operators_own_translation_is_used_and_ours_where_they_wrote_none(tmp_path):
    write(tmp_path, "ack/email/default.txt.j2", OWN)
    write(tmp_path, "ack/email/default.de.txt.j2", OWN_GERMAN)
    templates = Templates(tmp_path)
    assert templates.render("ack", "email", "normal", CONTEXT, language="de").subject == "ACME Beschwerden FD-7"
    assert templates.render("ack", "email", "normal", CONTEXT, language="fr").subject == "ACME complaints FD-7"
    assert templates.render("ack", "api", "normal", CONTEXT, language="fr").subject.startswith("Nous avons")


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
