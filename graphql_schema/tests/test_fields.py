"""Every field of every model type is a FastField, and takes the basic path wherever it can."""

from strawberry.types.base import get_object_definition
from strawberry_django.fields.field import StrawberryDjangoField

from graphql_schema.fields import FastField
from graphql_schema.schema import schema


def _model_types():
    for graphql_type in schema._schema.type_map.values():
        definition = (graphql_type.extensions or {}).get("strawberry-definition")
        origin = getattr(definition, "origin", None)
        if hasattr(origin, "__strawberry_django_definition__") and not definition.is_input:
            yield get_object_definition(origin, strict=True)


def _could_be_basic(field: StrawberryDjangoField) -> bool:
    """Nothing but the row is needed: no resolver, permission or async work; no list."""
    if field.extensions or field.is_async or field.base_resolver:
        return False
    return not field.is_relation or not (field.is_list or field.is_connection)


def test_every_field_of_a_model_type_is_a_fast_field_and_basic_where_it_can_be():
    # given
    definitions = list(_model_types())

    # then
    assert {definition.name for definition in definitions} == {
        "Client",
        "DeliveryAttempt",
        "Mailing",
        "MailingRun",
        "Message",
        "Post",
        "SenderIdentity",
        "Suppression",
        "User",
    }
    slow = [
        f"{definition.name}.{field.python_name}"
        for definition in definitions
        for field in definition.fields
        if not isinstance(field, FastField) or (_could_be_basic(field) and not field.is_basic_field)
    ]
    assert slow == []


def test_the_basic_fields_are_the_columns_foreign_keys_ids_and_computed_values():
    # given
    definitions = {definition.name: definition for definition in _model_types()}

    # when
    basic = {
        name: sorted(field.python_name.lstrip("_") for field in definition.fields if field.is_basic_field)
        for name, definition in definitions.items()
    }

    # then
    assert basic["Mailing"] == sorted(
        [
            "id",
            "message",
            "client_count",
            "start_at",
            "end_at",
            "periodicity",
            "status",
            "is_active",
            "next_run_at",
            "created_at",
            "time_zone",
            "updated_at",
            "stats",
        ]
    )
    assert basic["DeliveryAttempt"] == sorted(
        [
            "id",
            "email",
            "client",
            "status",
            "attempts",
            "last_attempt_at",
            "next_attempt_at",
            "smtp_code",
            "server_response",
            "message_id",
            "dkim_domain",
            "run",
            "created_at",
        ]
    )
    assert basic["User"] == sorted(
        [
            "id",
            "full_name",
            "date_joined",
            "last_login",
            "client_count",
            "message_count",
            "mailing_count",
            "active_mailing_count",
            "email_verified",
            "roles",
        ]
    )


def test_the_fields_behind_viewer_permissions_are_basic_but_for_them():
    # given
    definitions = {definition.name: definition for definition in _model_types()}

    # when
    guarded = {
        f"{name}.{field.python_name}": [type(guard).__name__ for guard in field.viewer_guards]
        for name, definition in definitions.items()
        for field in definition.fields
        if isinstance(field, FastField) and field.viewer_guards is not None
    }

    # then
    assert guarded == {
        "User.email": ["IsSelfOrManager"],
        "User.time_zone": ["IsSelfOrManager"],
        "User.language": ["IsSelfOrManager"],
        "User.blocked_at": ["IsManager"],
        "User.blocked_reason": ["IsManager"],
        "Mailing.owner": ["IsSelfOrManager"],
    }
    assert not any(definitions["User"].get_field(name).is_basic_field for name in ("email", "blocked_at"))
