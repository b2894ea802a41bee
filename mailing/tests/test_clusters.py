"""Two django-q clusters, as on two machines, share one run through the same database and queue.

Each `qcluster` has its own name (Q_NODE_NAME) and both take tasks from the one queue that their
shared Q_CLUSTER_NAME names: Redis when REDIS_URL is set, else django-q's ORM broker in the test
database (SQLite or PostgreSQL). The run fans out into more tasks than one cluster has workers,
and each task hands the rest of the run on after a second, so whichever cluster is free takes
the next part.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker

from core.processes import stop_process_group
from mailing import queue
from mailing.delivery import runs
from mailing.models import Client, DeliveryAttempt, DeliveryStatus, Mailing
from mailing.tests.factories import MailingFactory
from mailing.tests.smtp_server import SmtpServer
from mailing.tests.test_cluster import WORKERS, start_cluster, wait_for

RECIPIENTS = 20_000
CLUSTERS = ("north", "south")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_clusters_send_one_run_together_each_recipient_once(owner, tmp_path):
    # given: a 20,000-recipient mailing, a pipelining server, and two clusters with their own names.
    # The server takes 2 ms a message on each connection, so the run lasts some seconds: a
    # cluster holds at most its workers' tasks and as many queued (queue_limit), and the other,
    # polling the queue every second, gets the handovers that do not fit (without the delay the
    # first cluster to poll could send the whole run before the other looked, as seen once on
    # SQLite).
    server = SmtpServer().start()
    server.behaviour.pipelining = True
    server.behaviour.mail_delay = 0.002
    now = timezone.now()
    Client.objects.bulk_create(
        (Client(owner=owner, email=f"r{n:05d}@example.org", full_name=f"Recipient {n}") for n in range(RECIPIENTS)),
        batch_size=5000,
    )
    mailing = MailingFactory(owner=owner, start_at=now - timedelta(minutes=1), end_at=now + timedelta(days=1))
    Mailing.clients.through.objects.bulk_create(
        (
            Mailing.clients.through(mailing_id=mailing.pk, client_id=pk)
            for pk in Client.objects.values_list("pk", flat=True)
        ),
        batch_size=5000,
    )
    logs = {name: tmp_path / f"qcluster-{name}.log" for name in CLUSTERS}
    clusters = {
        name: start_cluster(
            server,
            logs[name],
            Q_NODE_NAME=name,
            MAILING_BATCH_SIZE="200",
            MAILING_TASK_SECONDS="1",
            MAILING_RUN_WORKERS=str(WORKERS * len(CLUSTERS)),
        )
        for name in CLUSTERS
    }
    try:
        wait_for(lambda: all("running." in logs[name].read_text() for name in CLUSTERS), 60, "both clusters to start")

        # when: the run is created and handed to the shared queue, as many tasks as both have workers
        (run,) = runs.run_due_mailings(enqueue=lambda run_id: queue.enqueue_run(run_id, workers=2 * WORKERS))
        wait_for(
            lambda: not DeliveryAttempt.objects.filter(run=run).exclude(status=DeliveryStatus.SENT).exists(),
            300,
            "every recipient to be sent",
        )
    finally:
        for cluster in clusters.values():
            stop_process_group(cluster)
        server.stop()
        # Handovers still queued when the run was done: no later cluster should see them.
        get_broker().purge_queue()

    # then: the server holds every recipient exactly once, and each row says who sent it
    assert sorted(server.recipients()) == [f"r{n:05d}@example.org" for n in range(RECIPIENTS)]
    senders = Counter(DeliveryAttempt.objects.filter(run=run).values_list("sent_by_cluster", "sent_by_worker"))
    split = Counter()
    for (cluster, _worker), count in senders.items():
        split[cluster] += count
    print(f"two clusters, {RECIPIENTS:,} recipients: {dict(split)} over {len(senders)} worker processes")
    assert set(split) == set(CLUSTERS)
    assert min(split.values()) > 0
    assert sum(split.values()) == RECIPIENTS
    workers = {name: {worker for (cluster, worker) in senders if cluster == name} for name in CLUSTERS}
    assert workers["north"].isdisjoint(workers["south"])
    assert all(1 <= len(pids) <= WORKERS for pids in workers.values())
    assert DeliveryAttempt.objects.filter(run=run, status=DeliveryStatus.SENT, attempts=1).count() == RECIPIENTS
