"""Settings for a qcluster that a test starts: the test's own database and task queue.

The test passes CLUSTER_TEST_DB_NAME (the test database's name, a file path on SQLite) and
Q_CLUSTER_NAME; everything else comes from the environment as usual (EMAIL_HOST, EMAIL_PORT,
MAILING_BATCH_SIZE, ...).
"""

import os

from core.settings_test import *  # noqa: F403
from core.settings_test import DATABASES, Q_CLUSTER

DATABASES["default"]["NAME"] = os.environ["CLUSTER_TEST_DB_NAME"]
Q_CLUSTER["name"] = os.environ["Q_CLUSTER_NAME"]
