"""`mailing/states.py` is the only code that writes a status: a scan of the source tree.

The scan reads every module of the service (not its tests, whose factories set statuses on
purpose, nor migrations, nor `bench/`, which seeds a million rows in their final states) and
reports each place that writes a `status`: an ORM `update`/`create` (or a model built) with a
`status` keyword, a `status` attribute or key assigned, `update_fields`/field lists naming it,
`setattr(..., "status", ...)`, and SQL that sets or inserts a `status` column.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["accounts", "blog", "core", "graphql_schema", "mailing"]
THE_WRITER = Path("mailing/states.py")

WRITE_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}
FIELD_LIST_CALLS = {"bulk_update", "model_update", "save"}
STATUS_MODELS = {"Mailing", "MailingRun", "DeliveryAttempt"}
# A status column in the SET clause of an UPDATE, or in the column list of an INSERT.
SQL_WRITE = re.compile(
    r"\bUPDATE\b.+?\bSET\b(?:(?!\bWHERE\b|\bFROM\b).)*\bstatus\s*=|\bINSERT\s+INTO\s+\S+\s*\([^)]*\bstatus\b",
    re.IGNORECASE | re.DOTALL,
)


def _names_status(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "status"


def _lists_status(node: ast.AST | None) -> bool:
    return isinstance(node, ast.List | ast.Tuple | ast.Set) and any(_names_status(item) for item in node.elts)


def _callee(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    if isinstance(function, ast.Name):
        return function.id
    return ""


def status_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for each place in `source` that writes a status."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            callee = _callee(node)
            if callee in WRITE_CALLS or callee in STATUS_MODELS:
                for keyword in node.keywords:
                    # status=..., **{"status": ...} and defaults={"status": ...}
                    if keyword.arg == "status" or (
                        keyword.arg in (None, "defaults")
                        and isinstance(keyword.value, ast.Dict)
                        and any(_names_status(key) for key in keyword.value.keys)
                    ):
                        found.append((node.lineno, f"{callee}(status=...)"))
            if callee in FIELD_LIST_CALLS and (
                any(_lists_status(arg) for arg in node.args)
                or any(_lists_status(keyword.value) for keyword in node.keywords)
            ):
                found.append((node.lineno, f'{callee}(["status"])'))
            if callee == "setattr" and len(node.args) > 1 and _names_status(node.args[1]):
                found.append((node.lineno, 'setattr(..., "status", ...)'))
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status":
                    found.append((node.lineno, ".status = ..."))
                elif isinstance(target, ast.Subscript) and _names_status(target.slice):
                    found.append((node.lineno, '["status"] = ...'))
                elif (
                    isinstance(target, ast.Name)
                    and target.id.endswith("_FIELDS")
                    and _lists_status(getattr(node, "value", None))
                ):
                    found.append((node.lineno, f'{target.id} = [..."status"...]'))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WRITE.search(node.value):
            found.append((node.lineno, "SQL writing status"))
    return sorted(found)


def service_modules() -> list[Path]:
    return sorted(
        path.relative_to(ROOT)
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
    )


def test_only_states_writes_a_status():
    # given
    modules = service_modules()

    # when
    writers = {
        f"{path}:{line}": what
        for path in modules
        if path != THE_WRITER
        for line, what in status_writes((ROOT / path).read_text())
    }

    # then
    assert writers == {}


def test_the_scan_reads_the_engine_and_finds_the_writes_in_states():
    # given
    modules = service_modules()

    # when
    in_states = {what for _, what in status_writes((ROOT / THE_WRITER).read_text())}

    # then: it reads every package (the engine included) and sees each kind of write states makes
    assert {Path("mailing/delivery/worker.py"), Path("mailing/delivery/claims.py"), THE_WRITER} <= set(modules)
    assert in_states == {"update(status=...)", "SQL writing status"}


@pytest.mark.parametrize(
    "source",
    [
        "DeliveryAttempt.objects.filter(pk=1).update(status='SENT')",
        "fields.update(status=RunStatus.RUNNING, paused_until=None)",
        "queryset.update(**{'status': target})",
        "MailingRun.objects.create(mailing=m, status='RUNNING')",
        "Mailing.objects.update_or_create(pk=1, defaults={'status': 'STARTED'})",
        "run = MailingRun(mailing=m, status='PAUSED')",
        "run.status = RunStatus.FINISHED",
        "fields['status'] = RunStatus.RUNNING",
        "run.save(update_fields=['status', 'updated_at'])",
        "MailingRun.objects.bulk_update(runs, ['status'])",
        "MAILING_FIELDS = ['message', 'status']",
        "setattr(mailing, 'status', 'FINISHED')",
        "cursor.execute('UPDATE mailing_deliveryattempt SET attempts = 1, status = %s WHERE id = %s')",
        "sql = '''INSERT INTO t (run_id, status)\nSELECT 1, 'QUEUED' '''",
    ],
)
def test_the_scan_finds_each_kind_of_status_write(source):
    # when
    found = status_writes(source)

    # then
    assert len(found) == 1


@pytest.mark.parametrize(
    "source",
    [
        "DeliveryAttempt.objects.filter(status='SENT').update(attempts=2)",
        "MailingRun.objects.filter(status__in=OPEN_RUN).exists()",
        "Mailing.objects.exclude(status=MailingStatus.FINISHED).update(next_run_at=None)",
        "render(request, 'page.html', context, status=400)",
        "if run.status == RunStatus.PAUSED: pass",
        "rows.values_list('pk', 'status')",
        "cursor.execute('SELECT status FROM mailing_mailingrun WHERE status = %s')",
        "cursor.execute('UPDATE t SET attempts = 1 WHERE status = %s')",
        "cursor.execute('INSERT INTO t (a, b) SELECT x, y FROM u WHERE u.status = %s')",
        "run.refresh_from_db(fields=['status'])",
    ],
)
def test_the_scan_leaves_reads_alone(source):
    # when
    found = status_writes(source)

    # then
    assert found == []
