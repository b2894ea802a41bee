"""django-q tasks of the bounce mailbox: thin, they call the mailbox reader."""

from mailing.bounces import mailbox


def read_bounce_mailbox() -> dict:
    return mailbox.read_mailbox().as_dict()
