"""Bounces, complaints and the suppression list (issue 12).

- `verp`: the envelope sender of each message, `bounces+<token>@domain`, naming its delivery row.
- `reports`: reading a bounce or complaint (RFC 3464 DSN, RFC 5965 ARF, the common plain-text
  bounces) into a `Report`.
- `mailbox`: the IMAP mailbox the reports arrive in, read by a django-q schedule.
- `services`: what a report does (a row BOUNCED, a soft bounce counted, an address suppressed),
  the owner's suppressions, and `run_retry_failed`.
- `selectors`: the owner's suppression list and a mailing's bounce and complaint rates.
"""
