"""Every class of reply a mail server can give, as `classify()` files it, boundaries included."""

import pytest

from mailing.smtp import Outcome, Result, classify

SENT, DEFERRED, FAILED = Outcome.SENT, Outcome.DEFERRED, Outcome.FAILED


def unreadable(text: str) -> Result:
    return Result(DEFERRED, None, f"Unreadable reply from the mail server: {text}", connection_lost=True)


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        # 2xx: taken
        (200, b"2.0.0 Ok", Result(SENT, 200, "200 2.0.0 Ok")),
        (250, b"2.0.0 Ok: queued as Q1", Result(SENT, 250, "250 2.0.0 Ok: queued as Q1")),
        (299, b"Ok", Result(SENT, 299, "299 Ok")),
        # 4xx: try again later; only 421 also closes the session
        (400, b"Later", Result(DEFERRED, 400, "400 Later")),
        (421, b"4.3.2 Shutting down", Result(DEFERRED, 421, "421 4.3.2 Shutting down", connection_lost=True)),
        (450, b"4.2.1 Mailbox busy", Result(DEFERRED, 450, "450 4.2.1 Mailbox busy")),
        (499, b"Later", Result(DEFERRED, 499, "499 Later")),
        # 5xx: refused for good
        (500, b"5.5.2 Syntax error", Result(FAILED, 500, "500 5.5.2 Syntax error")),
        (554, b"5.7.1 Rejected", Result(FAILED, 554, "554 5.7.1 Rejected")),
        (599, b"No", Result(FAILED, 599, "599 No")),
        # not a final SMTP reply: the session is not to be trusted
        (600, b"Beyond SMTP", unreadable("Beyond SMTP")),
        (399, b"Go on", unreadable("Go on")),
        (354, b"End data with <CR><LF>.<CR><LF>", unreadable("End data with <CR><LF>.<CR><LF>")),
        (300, b"Go on", unreadable("Go on")),
        (199, b"Wait", unreadable("Wait")),
        (-1, b"HELLO? this is not SMTP", unreadable("HELLO? this is not SMTP")),
        # the text as smtplib gives it (bytes) or as a str, and in UTF-8
        (250, "2.0.0 Ok", Result(SENT, 250, "250 2.0.0 Ok")),
        (550, "5.1.1 Нет такого ящика".encode(), Result(FAILED, 550, "550 5.1.1 Нет такого ящика")),
        (250, b"", Result(SENT, 250, "250")),
    ],
)
def test_classify_files_each_reply_by_its_class(code, text, expected):
    # when
    result = classify(code, text)

    # then
    assert result == expected
