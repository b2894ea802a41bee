import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mailing.addresses import validate_email_address
from mailing.models import Client
from mailing.services.clients import normalize_email

COLUMNS = ("email", "full_name", "comment")
REQUIRED_COLUMNS = ("email", "full_name")
# Graphql names of the columns, for error reports that name the field as the API does.
FIELD_NAMES = {"email": "email", "full_name": "fullName", "comment": "comment"}
LOOKUP_CHUNK = 500


@dataclass(frozen=True)
class RowError:
    row: int
    field: str | None
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def _max_lengths() -> dict[str, int]:
    return {name: Client._meta.get_field(name).max_length for name in COLUMNS}


def _row_errors(row_number: int, values: dict[str, str], max_lengths: dict[str, int]) -> list[RowError]:
    errors = []
    for name in REQUIRED_COLUMNS:
        if not values[name]:
            errors.append(RowError(row_number, FIELD_NAMES[name], _("This field is required.")))
    for name in COLUMNS:
        if len(values[name]) > max_lengths[name]:
            errors.append(
                RowError(
                    row_number,
                    FIELD_NAMES[name],
                    _("At most %(max)d characters (it has %(length)d).")
                    % {"max": max_lengths[name], "length": len(values[name])},
                )
            )
    if values["email"] and len(values["email"]) <= max_lengths["email"]:
        try:
            validate_email_address(values["email"])
        except ValidationError:
            errors.append(RowError(row_number, "email", _("Enter a valid email address.")))
    if "\n" in values["full_name"] or "\r" in values["full_name"]:
        errors.append(RowError(row_number, "fullName", _("Must be a single line.")))
    return errors


def _parse(csv_text: str, result: ImportResult) -> dict[str, tuple[int, dict[str, str]]]:
    """Valid rows keyed by lower-cased e-mail; every bad row goes to `result.errors`."""
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        result.errors.append(RowError(1, None, _("The CSV is empty; expected the header row email,full_name,comment.")))
        return {}
    header = [name.strip().lower() for name in header]
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        result.errors.append(
            RowError(
                1,
                None,
                _("The header must name the columns email,full_name,comment (comment is optional); got %(header)s.")
                % {"header": ",".join(header)},
            )
        )
        return {}

    max_rows = settings.IMPORT_CLIENTS_MAX_ROWS
    max_lengths = _max_lengths()
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    try:
        for index, record in enumerate(reader):
            row_number = index + 2
            if not record or all(not value.strip() for value in record):
                continue
            if index >= max_rows:
                result.errors.append(
                    RowError(row_number, None, _("Too many rows: at most %(max)d a single import.") % {"max": max_rows})
                )
                return {}
            if len(record) > len(header):
                result.errors.append(
                    RowError(
                        row_number,
                        None,
                        _("The row has %(values)d values; the header names %(header)d.")
                        % {"values": len(record), "header": len(header)},
                    )
                )
                continue
            values = dict.fromkeys(COLUMNS, "")
            values.update(zip(header, (value.strip() for value in record), strict=False))
            errors = _row_errors(row_number, values, max_lengths)
            if errors:
                result.errors.extend(errors)
                continue
            values["email"] = normalize_email(values["email"])
            key = values["email"].lower()
            if key in rows:
                result.errors.append(
                    RowError(
                        row_number,
                        "email",
                        _("The same e-mail address is already on row %(row)d.") % {"row": rows[key][0]},
                    )
                )
                continue
            rows[key] = (row_number, values)
    except csv.Error as error:
        result.errors.append(
            RowError(reader.line_num, None, _("The CSV cannot be read here: %(error)s.") % {"error": error})
        )
        return {}
    return rows


@transaction.atomic
def clients_import_csv(*, owner, csv_text: str) -> ImportResult:
    """Create or update the owner's clients from CSV, keeping the good rows and reporting the bad ones.

    Row 1 is the header. A row whose e-mail matches an existing client (case-insensitively)
    updates that client's name and comment.
    """
    result = ImportResult()
    rows = _parse(csv_text, result)
    if not rows:
        return result

    keys = list(rows)
    existing: dict[str, Client] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[start : start + LOOKUP_CHUNK]
        matches = Client.objects.filter(owner=owner, email_key__in=chunk).only(*COLUMNS, "email_key")
        existing.update({client.email_key: client for client in matches})

    now = timezone.now()
    upserts = []
    for key, (_row, values) in rows.items():
        client = existing.get(key)
        if client is None:
            result.created += 1
        elif any(getattr(client, name) != values[name] for name in COLUMNS):
            result.updated += 1
        else:
            result.unchanged += 1
            continue
        upserts.append(Client(owner=owner, created_at=now, updated_at=now, **values))

    # One upsert for new and changed rows alike: a client added meanwhile by another request
    # is updated instead of failing the whole import.
    Client.objects.bulk_create(
        upserts,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["owner", "email_key"],
        update_fields=[*COLUMNS, "updated_at"],
    )
    return result
