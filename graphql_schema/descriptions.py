"""Descriptions for the parts of the schema that are declared without a place for one.

Most descriptions sit on their declaration (`description=` on a type, field or enum). Some
parts have none to write it in: what strawberry and strawberry-django generate (a mutation's
payload union and input type, the `filters`/`ordering` arguments, a filter's AND/OR/NOT/DISTINCT,
an order type's fields, `Ordering`, `OperationInfo`), the values of the enums made from Django's
choices, and the arguments of resolvers. `describe(schema)` writes them into the built schema,
which both the SDL export and introspection read. A test fails when anything is left without
one, or when an entry here names nothing.
"""

import re

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLUnionType

ROOTS = {
    "Query": "Every read of the API. Lists are relay connections of at most GRAPHQL_PAGE_SIZE_MAX rows a page.",
    "Mutation": (
        "Every write of the API. A mutation answers its object, or an OperationInfo whose messages say "
        "why it was refused (field, message and a code of the domain's error-code enum)."
    ),
}

# strawberry-django's own types, and the enums made from Django's choices: type -> description,
# and "Type.member" -> description.
TYPES = {
    "OperationInfo": "Why a mutation was refused: one message a reason.",
    "OperationMessage": "One reason a mutation was refused.",
    "OperationMessage.kind": "What kind of refusal it is (VALIDATION: fix the input; PERMISSION: not allowed).",
    "OperationMessage.message": "What is wrong, for a person to read, in the request's language.",
    "OperationMessage.field": "The input field (API name) at fault; null when the reason concerns no one field.",
    "OperationMessage.code": (
        "What is wrong, for a program: a value of the mutation's error-code enum (AccountErrorCode, "
        "MailingErrorCode, DeliveryErrorCode, ModerationErrorCode, SenderErrorCode or SuppressionErrorCode; see "
        "the mutation's payload), in lower case."
    ),
    "OperationInfo.messages": "The reasons, one for each problem found.",
    "OperationMessageKind": "The kinds of refusal.",
    "OperationMessageKind.INFO": "Information only.",
    "OperationMessageKind.WARNING": "A warning; the mutation may still have done its work.",
    "OperationMessageKind.ERROR": "An error the service met.",
    "OperationMessageKind.PERMISSION": "The viewer may not do this (not logged in, or not a manager).",
    "OperationMessageKind.VALIDATION": "The input is not valid; `field` names the input field at fault.",
    "Ordering": "The direction of an ordering, and where nulls go.",
    "Ordering.ASC": "Ascending (nulls as the database puts them).",
    "Ordering.ASC_NULLS_FIRST": "Ascending, nulls first.",
    "Ordering.ASC_NULLS_LAST": "Ascending, nulls last.",
    "Ordering.DESC": "Descending (nulls as the database puts them).",
    "Ordering.DESC_NULLS_FIRST": "Descending, nulls first.",
    "Ordering.DESC_NULLS_LAST": "Descending, nulls last.",
    "DeliveryStatus.QUEUED": "Waiting to be sent.",
    "DeliveryStatus.SENDING": "A worker holds it and is sending it now.",
    "DeliveryStatus.SENT": "The mail server accepted it.",
    "DeliveryStatus.DEFERRED": "Refused for now; it is retried later.",
    "DeliveryStatus.FAILED": "Given up: refused for good, or too many attempts.",
    "DeliveryStatus.SKIPPED": "Not sent on purpose (unsubscribed, deleted, or the mailing's end passed).",
    "DeliveryStatus.BOUNCED": (
        "Undeliverable for good: refused at RCPT with a 5xx, or reported by a hard bounce (the row's reply holds "
        "the status code and the diagnostic text); the address is suppressed."
    ),
    "MailingRunStatus.PENDING": "Made, and waiting for a worker.",
    "MailingRunStatus.RUNNING": "Sending.",
    "MailingRunStatus.PAUSED": "Waiting while the mail server cannot be reached; it resumes by itself.",
    "MailingRunStatus.FINISHED": "Every recipient row is settled.",
    "MailingRunStatus.CANCELLED": "Stopped before the end (the mailing was disabled, deleted or ended).",
    "MailingRunTrigger.SCHEDULE": "A slot of the mailing's schedule.",
    "MailingRunTrigger.MANUAL": "Started by hand (`sendMailingNow`).",
    "MailingRunTrigger.RETRY": "The failed and deferred rows of a closed run, sent again (`retryFailed`).",
    "SuppressionReason.HARD_BOUNCE": "The address bounced hard (5.x.x), in a report or at RCPT.",
    "SuppressionReason.SOFT_BOUNCES": "The last messages to the address all bounced softly (4.x.x).",
    "SuppressionReason.COMPLAINT": "The recipient reported a message as spam (a feedback-loop report).",
    "SuppressionReason.UNSUBSCRIBED": "The client unsubscribed.",
    "SuppressionReason.MANUAL": "Added by hand (`suppressAddress`).",
    "MailingStatus.CREATED": "Its start has not come yet.",
    "MailingStatus.STARTED": "Between its start and its end: it sends.",
    "MailingStatus.FINISHED": "Its end has passed, or its last run is done.",
    "Periodicity.ONCE": "A single run at the start.",
    "Periodicity.DAILY": "Every day at the start's time.",
    "Periodicity.WEEKLY": "Every week on the start's weekday and time.",
    "Periodicity.MONTHLY": "Every month on the start's day and time.",
    "Role.OWNER": "Owns clients, messages and mailings; every verified user.",
    "Role.MANAGER": "Sees every user's mailings, and blocks users and mailings.",
    "Role.CONTENT_MANAGER": "Writes the blog.",
}

# Arguments of resolvers and inputs of input mutations: "field.argument" (a mutation or query
# field) or "Input.field" -> description.
ARGUMENTS = {
    "login.email": "The account's e-mail address.",
    "login.password": "The account's password.",
    "verifyEmail.token": "The token from the e-mailed link.",
    "resendVerification.email": "The address to send the link to.",
    "requestPasswordReset.email": "The address to send the link to.",
    "resetPassword.token": "The token from the reset link.",
    "resetPassword.newPassword": "The new password; the password rules apply.",
    "changePassword.oldPassword": "The password in use now.",
    "changePassword.newPassword": "The new password; the password rules apply.",
    "importClients.csv": "The CSV text: a header row naming email, fullName and comment, then one client a row.",
    "sendTestMessage.id": "The message to send to your own address.",
    "blockUser.id": "The user to block.",
    "blockUser.reason": "Why; shown to other managers (one line).",
    "unblockUser.id": "The user to unblock.",
    "disableMailing.id": "The mailing to disable.",
    "enableMailing.id": "The mailing to enable.",
    "sendMailingNow.id": "The mailing to send; one of yours.",
    "verifySenderIdentity.token": "The token from the link e-mailed to the sender address.",
    "CreateSenderIdentityInput.name": "The From display name (one line).",
    "CreateSenderIdentityInput.email": "The From address; the verification link goes there.",
    "CreateSenderIdentityInput.replyTo": "Where replies go (optional; empty: to the From address).",
    "DeleteSenderIdentityInput.id": "The sender identity to delete; one of yours.",
    "CreateMessageInput.sender": "One of your verified sender identities; null or left out: the service's address.",
    "UpdateMessageInput.sender": "Another of your verified sender identities, or null for the service's address.",
    "retryFailed.runId": "The closed run whose failed and deferred rows to send again; one of yours.",
    "SuppressAddressInput.email": "The address to stop sending to.",
    "LiftSuppressionInput.id": "The suppression to lift; the address is sent to again.",
    "post.id": "The post's global id.",
    "randomPosts.count": "How many posts (at most the number published).",
    "RegisterInput.email": "The address to log in with; the verification link goes there.",
    "RegisterInput.password": "The password; the password rules apply.",
    "RegisterInput.fullName": "The user's full name (optional).",
    "CreateClientInput.email": "The client's e-mail address; unique among your clients.",
    "CreateClientInput.fullName": "The client's full name.",
    "CreateClientInput.comment": "A note for you; never sent.",
    "UpdateClientInput.id": "The client to change.",
    "UpdateClientInput.email": "A new e-mail address; unique among your clients.",
    "UpdateClientInput.fullName": "A new full name.",
    "UpdateClientInput.comment": "A new note.",
    "DeleteClientInput.id": "The client to delete.",
    "CreateMessageInput.subject": "The subject line (one line).",
    "CreateMessageInput.body": "The plain-text body.",
    "CreateMessageInput.htmlBody": "An HTML body sent beside the plain text (optional).",
    "UpdateMessageInput.id": "The message to change.",
    "UpdateMessageInput.subject": "A new subject line.",
    "UpdateMessageInput.body": "A new plain-text body.",
    "UpdateMessageInput.htmlBody": "A new HTML body; empty for none.",
    "DeleteMessageInput.id": "The message to delete.",
    "DeleteMailingInput.id": "The mailing to delete.",
    "CreateMailingInput.message": "The message to send; one of yours.",
    "CreateMailingInput.clients": "The recipients; your clients, at least one.",
    "CreateMailingInput.startAt": "When the first run is due.",
    "CreateMailingInput.endAt": "After this, nothing more is sent; later than startAt.",
    "CreateMailingInput.periodicity": "How often it runs.",
    "UpdateMailingInput.id": "The mailing to change.",
    "UpdateMailingInput.message": "Another message of yours.",
    "UpdateMailingInput.clients": "The new set of recipients (replaces the old one).",
    "UpdateMailingInput.startAt": "A new start.",
    "UpdateMailingInput.endAt": "A new end; later than the start.",
    "UpdateMailingInput.periodicity": "A new periodicity.",
}

# A filter type's logical fields, made by strawberry-django for every filter.
FILTER_LOGIC = {
    "AND": "Also match this filter.",
    "OR": "Match this filter or the one it sits in.",
    "NOT": "Exclude the rows that match this filter.",
    "DISTINCT": "Drop duplicate rows (a filter across a to-many relation can repeat one).",
}

_ARGUMENTS_OF_LISTS = {
    "filters": "Only the rows that match this filter.",
    "ordering": "The order of the rows: the first entry sorts first, the next breaks its ties, and so on.",
}


def _words(name: str) -> str:
    """`createdAt` -> `created at`."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", name).lower()


def _describe(thing, description: str | None) -> None:
    if not thing.description and description:
        thing.description = description


def _payload_description(mutation: str, field, codes: dict[type, type]) -> str:
    members = [member.name for member in field.type.of_type.types if member.name != "OperationInfo"]
    what = " or ".join(f"the {name}" for name in members)
    origin = getattr(field.extensions.get("strawberry-definition"), "origin", None)
    enum = codes.get(origin)
    code = enum and enum.__strawberry_definition__.name
    refused = f"OperationInfo with the reasons it was refused (codes: {code})" if code else "OperationInfo"
    return f"What `{mutation}` answers: {what}, or {refused}."


def describe(schema, *, error_codes: dict[type, type]) -> None:
    """Fill in every missing description of the built schema.

    `error_codes`: a domain's mutation class -> its error-code enum, named in its payloads.
    """
    graphql_schema = schema._schema
    type_map = graphql_schema.type_map
    for name, description in ROOTS.items():
        if name in type_map:
            _describe(type_map[name], description)
    for key, description in TYPES.items():
        type_name, _, member = key.partition(".")
        graphql_type = type_map[type_name]
        if not member:
            _describe(graphql_type, description)
        elif isinstance(graphql_type, GraphQLEnumType):
            _describe(graphql_type.values[member], description)
        else:
            _describe(graphql_type.fields[member], description)

    mutation_type = graphql_schema.mutation_type
    for field_name, field in mutation_type.fields.items():
        payload = field.type.of_type if hasattr(field.type, "of_type") else field.type
        if isinstance(payload, GraphQLUnionType):
            _describe(payload, _payload_description(field_name, field, error_codes))
        if "input" in field.args:
            _describe(field.args["input"], f"The input of `{field_name}`.")
            input_type = field.args["input"].type.of_type
            _describe(input_type, f"The input of `{field_name}`.")
            for input_field_name, input_field in input_type.fields.items():
                _describe(input_field, ARGUMENTS.get(f"{input_type.name}.{input_field_name}"))
        for argument_name, argument in field.args.items():
            _describe(argument, ARGUMENTS.get(f"{field_name}.{argument_name}"))

    for graphql_type in type_map.values():
        if isinstance(graphql_type, GraphQLObjectType):
            for field_name, field in graphql_type.fields.items():
                for argument_name, argument in field.args.items():
                    _describe(argument, _ARGUMENTS_OF_LISTS.get(argument_name))
                    _describe(argument, ARGUMENTS.get(f"{field_name}.{argument_name}"))
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, field in graphql_type.fields.items():
                if graphql_type.name.endswith("Filter"):
                    _describe(field, FILTER_LOGIC.get(field_name))
                elif graphql_type.name.endswith("Order"):
                    _describe(field, f"Order by the {_words(field_name)}.")


def stale_entries(schema) -> set[str]:
    """The entries of TYPES and ARGUMENTS that name nothing in `schema` (for the test)."""
    type_map = schema._schema.type_map
    missing = set()
    for key in TYPES:
        type_name, _, member = key.partition(".")
        graphql_type = type_map.get(type_name)
        members = getattr(graphql_type, "values", None) or getattr(graphql_type, "fields", {})
        if graphql_type is None or (member and member not in members):
            missing.add(key)
    fields = {}
    for graphql_type in type_map.values():
        for field_name, field in getattr(graphql_type, "fields", {}).items():
            fields.setdefault(field_name, set()).update(getattr(field, "args", {}))
            fields.setdefault(f"{graphql_type.name}.{field_name}", set())
    for key in ARGUMENTS:
        owner, _, member = key.partition(".")
        if member not in fields.get(owner, ()) and key not in fields:
            missing.add(key)
    return missing
