"""The delivery engine: it starts the runs that are due, sends a run in claimed batches, and
sweeps up after workers that died.

The database is the truth. A run is a row, and each of its recipients a row (a
`DeliveryAttempt`, unique per run and client). A worker claims a batch of rows (marking them
SENDING with a lease) before any SMTP transaction and settles them after it; a worker that dies
leaves rows whose lease expires, and the sweeper hands them to another worker. A worker writes
the replies every MAILING_SETTLE_EVERY messages and waits out a database outage with them in
hand, so the duplicates a crash can cause are the messages whose replies were not written yet:
at most MAILING_SETTLE_EVERY a worker. An orderly stop (`stopping`) causes none.

- `runs`: creating runs (the scheduler's pass, "send now") and who may send;
- `claims`: holding a run and its rows (claim, renew, release, settle);
- `worker`: sending one run: the SMTP session, the circuit breaker, the outcomes;
- `lifecycle`: finishing runs and mailings, and the sweeper;
- `config`: the engine's settings;
- `stopping`: an orderly stop of a cluster's worker processes (SIGINT/SIGTERM).

Statuses are moved by `mailing.states` alone.
"""
