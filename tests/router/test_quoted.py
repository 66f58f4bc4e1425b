"""router/quoted.py: which lines a message wrote, which it quotes, and their fingerprints."""

from __future__ import annotations

from router.quoted import fingerprint, own_line_keys, quoted_line_keys, split_quoted

ORIGINAL = "Hello,\nMy kettle started leaking after two days of use.\nPlease advise.\n-- \nAnn"


def test_quoted_lines_of_a_reply_match_the_lines_of_the_original():
    reply = "We are sorry.\n\n> My kettle started leaking after two days of use.\n>> Please advise."
    assert quoted_line_keys(reply)[0] in own_line_keys(ORIGINAL)
    assert not quoted_line_keys(ORIGINAL)


def test_a_quote_another_client_re_encoded_still_matches():
    assert fingerprint("My kettle started leaking after two days of use.") == fingerprint(
        "  my kettle started  leaking – after two days of use  ")
    assert fingerprint("“Refund me” for the order you never delivered") == fingerprint(
        '"Refund me" for the order you never delivered')


def test_history_below_a_top_posting_header_is_quoted_not_the_authors_own():
    for header in ("-----Original Message-----", "From: Ann <ann@example.com>\nSent: Monday, 23 November 2026 09:00",
                   "On Mon, 23 Nov 2026 at 09:00, Ann <ann@example.com> wrote:",
                   "Am Montag, 23. November 2026 um 09:00 schrieb Ann:"):
        reply = f"Forwarding this to the repairs team today.\n\n{header}\n{ORIGINAL}"
        own, quoted = split_quoted(reply)
        assert own[0] == "Forwarding this to the repairs team today." and "Ann" not in "".join(own)
        assert list(quoted_line_keys(reply)) == own_line_keys(ORIGINAL)


def test_a_bottom_posted_reply_after_an_attribution_is_the_authors_own():
    reply = ("On Mon, 23 Nov 2026, Ann wrote:\n> My kettle started leaking after two days of use.\n\n"
             "Which model is it, and when did you buy it?")
    own, quoted = split_quoted(reply)
    assert own[-1] == "Which model is it, and when did you buy it?"
    assert quoted == ["My kettle started leaking after two days of use."]


def test_a_reply_quoting_the_middle_of_a_long_message_finds_a_line_the_original_kept():
    lines = [f"Line {number} of the long report about the flooded basement." for number in range(200)]
    kept = set(own_line_keys("\n".join(lines)))
    assert len(kept) < len(lines)
    middle = "\n".join("> " + line for line in lines[90:110])
    assert kept & set(quoted_line_keys("I agree.\n" + middle))


def test_an_own_line_ending_in_a_colon_does_not_start_history():
    text = "I wrote to you last week about this:\nMy kettle started leaking after two days of use."
    assert split_quoted(text) == (text.splitlines(), [])


def test_lines_that_tools_write_alike_are_not_fingerprints():
    for line in ("diff --git a/Makefile b/Makefile", " 1 files changed, 1 insertions(+), 1 deletions(-)",
                 "index 2cd1b1b0..2d19a6e3 100644", "Signed-off-by: Ann Example <ann@example.com>",
                 "On Mon, 23 Nov 2026, Ann Example wrote:"):
        assert fingerprint(line) is None
