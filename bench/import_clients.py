"""How long `importClients` takes for 10,000 rows, end to end through GraphQL.

    .venv/bin/python bench/import_clients.py [ROWS]

Runs on a throw-away test database of the configured kind (SQLite, or PostgreSQL with
DATABASE_URL). Prints the time of a first import (creates), a second (updates) and the errors
found in the rows that were made bad on purpose.
"""

import sys
import time

from _django import test_database


def make_csv(rows: int, name: str) -> str:
    lines = ["email,full_name,comment"]
    for n in range(rows):
        email = f"client{n}@example.com" if n % 100 else f"bad-address-{n}"  # 1% bad rows
        lines.append(f'{email},"{name} {n}",imported by the benchmark')
    return "\n".join(lines) + "\n"


def main(rows: int) -> None:
    with test_database() as connection:
        from strawberry_django.test.client import TestClient

        from accounts.models import User
        from mailing.models import Client

        user = User.objects.create_user(email="bench@example.com", password="bench password 123")
        client = TestClient("/graphql/")
        query = """mutation($csv: String!) {
          importClients(csv: $csv) { ... on ImportClientsResult { created updated unchanged errors { row } } }
        }"""
        print(f"database: {connection.vendor}, rows: {rows}")
        with client.login(user):
            for label, name in [("first import (creates)", "Client"), ("second import (updates)", "Renamed")]:
                csv_text = make_csv(rows, name)
                started = time.perf_counter()
                result = client.query(query, {"csv": csv_text}).data["importClients"]
                elapsed = time.perf_counter() - started
                print(
                    f"{label}: {elapsed:.2f} s ({rows / elapsed:,.0f} rows/s); created {result['created']}, "
                    f"updated {result['updated']}, unchanged {result['unchanged']}, bad rows {len(result['errors'])}"
                )
        print(f"clients stored: {Client.objects.count()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
