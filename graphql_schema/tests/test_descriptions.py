"""Every part of the schema has a description; every error code the code raises is listed."""

import ast
from pathlib import Path

import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from graphql_schema.descriptions import stale_entries
from graphql_schema.error_codes import ERROR_CODES, DeliveryErrorCode, MailingErrorCode
from graphql_schema.schema import schema

ROOT = Path(__file__).resolve().parents[2]
# The packages whose errors reach the API. accounts/forms.py serves Django's HTML forms only.
SCANNED = ("accounts", "mailing", "graphql_schema")
# The zone and language checks that the API's inputs share live in core.
SCANNED_FILES = ("core/zones.py",)
NOT_THE_API = {ROOT / "accounts" / "forms.py"}
# Codes of Django's own validation that the API's inputs can produce (model fields, password
# validators): they appear in no code of ours.
DJANGO_CODES = {
    "blank",
    "invalid",
    "invalid_choice",
    "max_length",
    "password_entirely_numeric",
    "password_too_common",
    "password_too_short",
    "password_too_similar",
}


def _undescribed() -> list[str]:
    missing = []
    for graphql_type in schema._schema.type_map.values():
        if graphql_type.name.startswith("__") or graphql_type.name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(graphql_type.name)
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [f"{graphql_type.name}.{n}" for n, value in graphql_type.values.items() if not value.description]
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{graphql_type.name}.{name}")
                for argument_name, argument in getattr(field, "args", {}).items():
                    if not argument.description:
                        missing.append(f"{graphql_type.name}.{name}({argument_name}:)")
    return missing


def _codes_in(path: Path) -> set[str]:
    """The codes `path` gives a ValidationError: `code="..."`, or a `*_error(message, "code")`."""
    codes = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                codes.add(keyword.value.value)
        name = getattr(node.func, "id", getattr(node.func, "attr", ""))
        if name.endswith("_error") and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
            codes.add(node.args[1].value)
    return codes


def _raised_codes() -> set[str]:
    """Every code our code gives a ValidationError."""
    codes = set()
    for package in SCANNED:
        for path in [*(ROOT / package).rglob("*.py"), *(ROOT / name for name in SCANNED_FILES)]:
            if "tests" in path.parts or "migrations" in path.parts or path in NOT_THE_API:
                continue
            codes |= _codes_in(path)
    return codes


def test_every_type_field_argument_input_field_and_enum_value_has_a_description():
    assert _undescribed() == []


def test_every_entry_of_the_descriptions_names_a_part_of_the_schema():
    assert stale_entries(schema) == set()


def test_every_code_raised_is_in_an_error_code_enum_and_every_listed_code_is_raised():
    # given
    raised = _raised_codes()
    listed = {member.value for enum in ERROR_CODES for member in enum}

    # then
    assert raised - listed == set()
    assert listed - raised - DJANGO_CODES == set()
    assert "invalid_credentials" in raised  # the scan finds what it looks for


def test_an_error_codes_name_is_its_value_in_capitals():
    # then: the value is what `OperationMessage.code` has always carried
    assert [
        (enum.__name__, member.name) for enum in ERROR_CODES for member in enum if member.name != member.value.upper()
    ] == []


def test_the_error_code_enums_are_in_the_schema():
    assert {"AccountErrorCode", "DeliveryErrorCode", "MailingErrorCode", "ModerationErrorCode"} <= set(
        schema._schema.type_map
    )


# The modules behind one domain's mutations alone (accounts/services.py serves two domains).
DOMAIN_MODULES = [
    (
        MailingErrorCode,
        (
            "mailing/models.py",
            "mailing/selectors.py",
            "mailing/services/clients.py",
            "mailing/services/messages.py",
            "mailing/services/mailings.py",
        ),
    ),
    (DeliveryErrorCode, ("mailing/delivery/runs.py",)),
]


@pytest.mark.parametrize(("enum", "modules"), DOMAIN_MODULES, ids=[enum.__name__ for enum, _ in DOMAIN_MODULES])
def test_the_codes_a_domains_services_raise_are_in_its_enum(enum, modules):
    # given: the enum its mutations' payloads name
    raised = set().union(*(_codes_in(ROOT / module) for module in modules))

    # then
    assert raised - {member.value for member in enum} == set()
