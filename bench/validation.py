"""How long the API takes to answer hostile documents that stay inside the token limit.

    .venv/bin/python bench/validation.py [ROUNDS]

Each document is posted anonymously to /graphql/ (a throw-away test database) with the
validation cache emptied first, so every answer is validated afresh; the best of ROUNDS is kept
for each document (the machine's noise is not the document's cost). Prints each document's time
and the worst of them, against the goal: every document within the token limit is answered in
under 50 ms.
"""

import json
import os
import sys
import time

from _django import test_database

GOAL_MS = 50


def chain(levels: int, spreads: int = 2) -> str:
    """`query { ...F0 } fragment F0 on Query { ...F1 ...F1 } ... fragment Fn on Query { __typename }`."""
    fragments = [f"fragment F{n} on Query {{ {' '.join([f'...F{n + 1}'] * spreads)} }}" for n in range(levels)]
    return "query { ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ __typename }}"


def repeats(times: int) -> str:
    """One field selected again and again: `{ me { email } me { email } ... }`."""
    return "{ " + " ".join(["me { email }"] * times) + " }"


def repeats_in_inline_fragments(times: int) -> str:
    return "{ " + " ".join(["... on Query { me { email } }"] * times) + " }"


def nested_repeats(outer: int, inner: int) -> str:
    """Repeats whose subselections repeat too: each pair of the outer ones compares the inner ones."""
    return "{ " + " ".join(["me { " + " ".join(["email"] * inner) + " }"] * outer) + " }"


def wide_fragments(fragments: int, fields: int) -> str:
    """Many fragments with the same fields, all spread in one selection set."""
    body = " ".join(["me { email }"] * fields)
    spreads = " ".join(f"...W{n}" for n in range(fragments))
    return "{ " + spreads + " } " + " ".join(f"fragment W{n} on Query {{ {body} }}" for n in range(fragments))


def repeated_spreads(fragments: int, times: int) -> str:
    """Spreads of fragments whose fields repeat, from the fields of one selection set."""
    definitions = " ".join(f"fragment R{n} on User {{ email fullName }}" for n in range(fragments))
    spreads = " ".join(f"...R{n % fragments}" for n in range(times))
    return "{ me { " + spreads + " } me { " + spreads + " } } " + definitions


def aliases(count: int) -> str:
    return "{ " + " ".join(f"a{n}: me {{ email }}" for n in range(count)) + " }"


def same_alias(count: int) -> str:
    return "{ " + " ".join(["a: me { email }"] * count) + " }"


def deep(levels: int) -> str:
    return "{ me " + "{ a " * levels + "}" * levels + " }"


def deep_fragments(levels: int) -> str:
    """Each fragment one level deeper than the last: a depth that only shows through the spreads."""
    fragments = [f"fragment D{n} on User {{ email ...D{n + 1} }}" for n in range(levels)]
    return "{ me { ...D0 } } " + " ".join(fragments) + f" fragment D{levels} on User {{ id }}"


def many_operations(count: int) -> str:
    return " ".join(f"query Q{n} {{ __typename }}" for n in range(count))


def directives(count: int) -> str:
    return "{ __typename " + " ".join(["@skip(if: false)"] * count) + " }"


def documents() -> list[tuple[str, str]]:
    return [
        ("chain of 16", chain(16)),
        ("chain of 18", chain(18)),
        ("chain of 60", chain(60)),
        ("chain of 63 (64 fragments, the most)", chain(63)),
        ("chain of 150", chain(150)),
        ("chain of 40, 4 spreads each", chain(40, 4)),
        ("me { email } x490", repeats(490)),
        ("... on Query { me { email } } x200", repeats_in_inline_fragments(200)),
        ("me { email x40 } x40", nested_repeats(40, 40)),
        ("20 wide fragments of 20 repeats", wide_fragments(20, 20)),
        ("100 fragments of 4 repeats", wide_fragments(100, 4)),
        ("spreads of 2 fragments x300", repeated_spreads(2, 300)),
        ("31 aliases", aliases(31)),
        ("400 aliases", aliases(400)),
        ("a: me { email } x400", same_alias(400)),
        ("50 deep", deep(50)),
        ("900 deep", deep(900)),
        ("fragments 60 deep", deep_fragments(60)),
        ("500 operations", many_operations(500)),
        ("600 directives", directives(600)),
    ]


def main(rounds: int) -> None:
    with test_database():
        from django.conf import settings
        from django.test import Client

        from graphql_schema.validation import ValidationCache

        browser = Client()
        worst_wall, worst_cpu = (0.0, ""), (0.0, "")
        load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
        print(f"token limit {settings.GRAPHQL_MAX_TOKENS}; best of {rounds} rounds each; load average {load}")
        print(f"{'wall':>8}    {'cpu':>8}")
        for name, document in documents():
            walls, cpus = [], []
            for _ in range(rounds):
                ValidationCache._results.clear()
                wall, cpu = time.perf_counter(), time.process_time()
                response = browser.post("/graphql/", json.dumps({"query": document}), content_type="application/json")
                walls.append((time.perf_counter() - wall) * 1000)
                cpus.append((time.process_time() - cpu) * 1000)
            errors = response.json().get("errors") or []
            outcome = errors[0]["message"][:64] if errors else "answered"
            worst_wall, worst_cpu = max(worst_wall, (min(walls), name)), max(worst_cpu, (min(cpus), name))
            print(f"{min(walls):8.1f} ms {min(cpus):8.1f} ms  {name:36} {len(document):5} chars  {outcome}")
        verdict = "meets" if worst_wall[0] < GOAL_MS else "MISSES"
        print(
            f"worst case: {worst_wall[0]:.1f} ms wall ({worst_wall[1]}), {worst_cpu[0]:.1f} ms cpu ({worst_cpu[1]}); "
            f"{verdict} the goal of < {GOAL_MS} ms"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
