"""The cache every process shares when there is no Redis: a table in the database.

Django's DatabaseCache reads and writes a value in two statements, so two processes adding to the
same counter (a login throttle) at once could lose a hit; here `incr` holds the row while it adds.

The cache is an optimisation: callers catch CACHE_ERRORS (Redis down or unreachable), log a
warning and go on without it (the home figures are computed, the throttles count in the database).
"""

import base64
import pickle

from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, models, router, transaction
from django.utils.timezone import now as tz_now
from redis.exceptions import RedisError

CACHE_ERRORS = (RedisError, OSError)


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote_name = connection.ops.quote_name
        table, cache_key = quote_name(self._table), quote_name("cache_key")
        # SELECT ... FOR UPDATE where the database has it (PostgreSQL); SQLite's IMMEDIATE
        # transactions (core.settings) already take the write lock at BEGIN.
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('value')}, {quote_name('expires')} FROM {table} WHERE {cache_key} = %s{lock}",
                [key],
            )
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value, expires = row
            expression = models.Expression(output_field=models.DateTimeField())
            for converter in connection.ops.get_db_converters(expression) + expression.get_db_converters(connection):
                expires = converter(expires, expression, connection)
            if expires < tz_now():
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(value).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {quote_name('value')} = %s WHERE {cache_key} = %s", [encoded, key])
        return value
