"""The permission matrix: every query and mutation x every kind of user x (own row, other's row),
each with its exact answer, over the real /graphql/ endpoint with sessions and CSRF enforced.

How to read and extend it
-------------------------
`TABLE` has one line per operation and target. The columns are the actors: `anonymous` (no
session), `unverified` (a session for an account that has not verified its address), `owner`,
`other` (a second owner), `manager` (group Managers), `content` (a content manager, group Content
managers: in the API an owner like any other; the blog is theirs in the admin), `blocked`
(logged in, then blocked by a manager). A cell names the outcome that
`OPERATIONS[operation].outcomes` renders as the exact JSON answer; `-` means "does not apply".
The outcomes used most: `anon` (refused as not logged in), `not_mgr` (refused: not a manager),
`missing` (answered exactly as for a row that does not exist), `not_yours` (a link for another
account, refused to a logged-in user), `ok`.

The target `own` is the actor's own row (or account); `other` is the owner's row (the other
owner's, when the actor is the owner); `-` means the operation takes no row. An operation may
choose its target differently (`target=`), e.g. unblockUser's other row is the blocked user.

Each case also checks the database: it changes exactly when the outcome is one of the
operation's `changing` outcomes; every refusal and every read leaves it as it was.

What a manager sees of another owner's mailing (node:Mailing other = `no_clients`): the mailing,
its owner (with e-mail) and its message, and `clientCount`; its `clients` list is empty, because
client lists (personal data of the owner's customers) are their owner's alone. A message that no
mailing sends (node:Draft) stays private.

A new operation needs an `Op` (query, variables, outcomes) and its lines in `TABLE`:
`test_the_matrix_covers_every_operation_of_the_schema` fails until every field of Query and
Mutation has a line.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from accounts.models import AccountToken, TokenPurpose, User
from accounts.services import user_block
from accounts.tests.factories import PASSWORD, ContentManagerFactory, ManagerFactory, UserFactory
from accounts.tokens import token_issue
from blog.models import Post
from blog.tests.factories import PostFactory
from graphql_schema.schema import schema
from graphql_schema.tests.helpers import gid
from mailing import states
from mailing.identities.models import SenderIdentity
from mailing.models import (
    Client,
    DeliveryAttempt,
    Mailing,
    MailingRun,
    MailingStatus,
    Message,
    RunStatus,
    Suppression,
    SuppressionReason,
)
from mailing.tests.factories import ClientFactory, MailingFactory, MessageFactory
from mailing.tests.smtp_server import SmtpServer

ACTORS = ["anonymous", "unverified", "owner", "other_owner", "manager", "content_manager", "blocked"]
# The table's column names for ACTORS, in the same order.
COLUMNS = ["anonymous", "unverified", "owner", "other", "manager", "content", "blocked"]

TABLE = """
operation                    target  anonymous  unverified  owner      other      manager     content    blocked
me                           -       null       null        self       self       self        self       null
clients                      -       empty      empty       own        own        own         own        empty
messages                     -       empty      empty       own        own        own         own        empty
mailings                     -       empty      empty       own        own        all         own        empty
users                        -       anon       anon        not_mgr    not_mgr    all         not_mgr    anon
node:Client                  own     -          null        found      found      found       found      null
node:Client                  other   null       null        null       null       null        null       null
node:Message                 own     -          null        found      found      found       found      null
node:Message                 other   null       null        null       null       found       null       null
node:Draft                   own     -          null        found      found      found       found      null
node:Draft                   other   null       null        null       null       null        null       null
node:Mailing                 own     -          null        full       full       full        full       null
node:Mailing                 other   null       null        null       null       no_clients  null       null
node:User                    own     -          null        found      found      found       found      null
node:User                    other   null       null        null       null       found       null       null
login                        own     invalid    unverified  ok         ok         ok          ok         blocked
logout                       -       ok         ok          ok         ok         ok          ok         ok
register                     -       notice     notice      notice     notice     notice      notice     notice
verifyEmail                  own     -          ok          ok         ok         ok          ok         ok
verifyEmail                  other   ok         ok          not_yours  not_yours  not_yours   not_yours  ok
resendVerification           -       notice     notice      notice     notice     notice      notice     notice
requestPasswordReset         -       notice     notice      notice     notice     notice      notice     notice
resetPassword                own     -          ok          ok         ok         ok          ok         ok
resetPassword                other   ok         ok          not_yours  not_yours  not_yours   not_yours  ok
changePassword               own     anon       anon        ok         ok         ok          ok         anon
createClient                 own     anon       anon        ok         ok         ok          ok         anon
updateClient                 own     -          anon        ok         ok         ok          ok         anon
updateClient                 other   anon       anon        missing    missing    missing     missing    anon
deleteClient                 own     -          anon        ok         ok         ok          ok         anon
deleteClient                 other   anon       anon        missing    missing    missing     missing    anon
importClients                own     anon       anon        ok         ok         ok          ok         anon
createMessage                own     anon       anon        ok         ok         ok          ok         anon
updateMessage                own     -          anon        ok         ok         ok          ok         anon
updateMessage                other   anon       anon        missing    missing    missing     missing    anon
deleteMessage                own     -          anon        ok         ok         ok          ok         anon
deleteMessage                other   anon       anon        missing    missing    missing     missing    anon
createMailing                own     -          anon        ok         ok         ok          ok         anon
createMailing                other   anon       anon        missing    missing    missing     missing    anon
createMailing#their_clients  other   anon       anon        missing    missing    missing     missing    anon
updateMailing                own     -          anon        ok         ok         ok          ok         anon
updateMailing                other   anon       anon        missing    missing    missing     missing    anon
updateMailing#clients        own     -          anon        ok         ok         ok          ok         anon
updateMailing#clients        other   anon       anon        missing    missing    missing     missing    anon
deleteMailing                own     -          anon        ok         ok         ok          ok         anon
deleteMailing                other   anon       anon        missing    missing    missing     missing    anon
disableMailing               own     -          anon        ok         ok         ok          ok         anon
disableMailing               other   anon       anon        missing    missing    ok          missing    anon
enableMailing                own     -          anon        ok         ok         ok          ok         anon
enableMailing                other   anon       anon        missing    missing    ok          missing    anon
blockUser                    own     -          anon        not_mgr    not_mgr    self        not_mgr    anon
blockUser                    other   anon       anon        not_mgr    not_mgr    ok          not_mgr    anon
unblockUser                  own     -          anon        not_mgr    not_mgr    noop        not_mgr    anon
unblockUser                  other   anon       anon        not_mgr    not_mgr    ok          not_mgr    anon
posts                        -       published  published   published  published  published   published  published
post                         -       read       read        read       read       read        read       read
post#draft                   -       null       null        null       null       null        null       null
randomPosts                  -       published  published   published  published  published   published  published
homeStats                    -       figures    figures     figures    figures    figures     figures    figures
queueStatus                  -       not_mgr    not_mgr     not_mgr    not_mgr    ok          not_mgr    not_mgr
deliveryAttempts             -       empty      empty       own        own        own         own        empty
deliveryDailyCounts          -       empty      empty       own        own        own         own        empty
openRuns                     -       empty      empty       own        own        own         own        empty
updateProfile                own     anon       anon        ok         ok         ok          ok         anon
sendMailingNow               own     -          anon        ok         ok         ok          ok         anon
sendMailingNow               other   anon       anon        missing    missing    missing     missing    anon
sendTestMessage              own     -          anon        ok         ok         ok          ok         anon
sendTestMessage              other   anon       anon        missing    missing    missing     missing    anon
senderIdentities             -       empty      empty       own        own        all         own        empty
createSenderIdentity         own     anon       anon        ok         ok         ok          ok         anon
verifySenderIdentity         own     -          ok          ok         ok         ok          ok         ok
verifySenderIdentity         other   ok         ok          not_yours  not_yours  not_yours   not_yours  ok
deleteSenderIdentity         own     -          anon        ok         ok         ok          ok         anon
deleteSenderIdentity         other   anon       anon        missing    missing    missing     missing    anon
suppressions                 -       empty      empty       own        own        own         own        empty
node:Suppression             own     -          null        found      found      found       found      null
node:Suppression             other   null       null        null       null       null        null       null
suppressAddress              own     anon       anon        ok         ok         ok          ok         anon
liftSuppression              own     -          anon        ok         ok         ok          ok         anon
liftSuppression              other   anon       anon        missing    missing    missing     missing    anon
retryFailed                  own     -          anon        ok         ok         ok          ok         anon
retryFailed                  other   anon       anon        missing    missing    missing     missing    anon
"""


# The world every case starts from.


@dataclass
class Rows:
    client: Client
    spare_client: Client
    message: Message
    draft: Message
    mailing: Mailing


@dataclass
class World:
    users: dict[str, User]
    rows: dict[str, Rows]
    newcomer: User


def build_world() -> World:
    users = {
        "unverified": UserFactory(email="unverified@example.com", email_verified_at=None),
        "owner": UserFactory(email="owner@example.com", full_name="Olga Owner"),
        "other_owner": UserFactory(email="other@example.com", full_name="Oscar Other"),
        "manager": ManagerFactory(email="manager@example.com"),
        "content_manager": ContentManagerFactory(email="editor@example.com"),
        "blocked": UserFactory(email="blocked@example.com"),
    }
    rows = {}
    for name, user in users.items():
        client = ClientFactory(owner=user, email=f"client-of-{name}@example.org")
        message = MessageFactory(owner=user, subject=f"Sent by {name}")
        rows[name] = Rows(
            client=client,
            spare_client=ClientFactory(owner=user, email=f"spare-of-{name}@example.org"),
            message=message,
            draft=MessageFactory(owner=user, subject=f"Draft of {name}"),
            mailing=MailingFactory(owner=user, message=message, clients=[client]),
        )
    newcomer = UserFactory(email="newcomer@example.com", email_verified_at=None)
    return World(users=users, rows=rows, newcomer=newcomer)


@dataclass
class Case:
    operation: str
    target: str
    actor: str
    outcome: str

    @property
    def id(self) -> str:
        return f"{self.operation}-{self.target}-{self.actor}-{self.outcome}"


@dataclass
class Ctx:
    """What an operation's variables and outcomes are computed from."""

    world: World
    actor_name: str
    target_name: str | None

    @property
    def actor(self) -> User | None:
        return self.world.users.get(self.actor_name)

    @property
    def target(self) -> User | None:
        if self.target_name == "newcomer":
            return self.world.newcomer
        return self.world.users.get(self.target_name)

    @property
    def rows(self) -> Rows:
        return self.world.rows[self.target_name]

    remembered: str = ""

    def remember(self, value: str) -> str:
        """Keep a value the outcome needs after the operation (the id of a row it deletes)."""
        self.remembered = value
        return value

    @property
    def mine(self) -> Rows:
        """The actor's rows (the anonymous have none: then the target's, which makes no difference)."""
        return self.world.rows.get(self.actor_name, self.rows)


def default_target(actor: str, which: str) -> str | None:
    if which == "own":
        return actor
    if which == "other":
        return "other_owner" if actor == "owner" else "owner"
    return None


def blocked_as_other(actor: str, which: str) -> str | None:
    if which == "other":
        return "owner" if actor == "blocked" else "blocked"
    return default_target(actor, which)


def newcomer_as_other(actor: str, which: str) -> str | None:
    return "newcomer" if which == "other" else default_target(actor, which)


@dataclass
class Op:
    query: str
    variables: Callable[[Ctx], dict] = lambda ctx: {}
    outcomes: dict[str, Callable[[Ctx], dict]] = field(default_factory=dict)
    changing: tuple[str, ...] = ()
    target: Callable[[str, str], str | None] = default_target
    # It sends mail: a real SMTP server on loopback answers it.
    mail_server: bool = False


# Exact answers.

OPERATION_INFO = "... on OperationInfo { messages { kind field message code } }"


def data(**fields) -> dict:
    return {"data": fields}


def info(*messages) -> dict:
    return {"__typename": "OperationInfo", "messages": list(messages)}


def permission(field_name: str, message: str) -> dict:
    return {"kind": "PERMISSION", "field": field_name, "message": message, "code": None}


def validation(field_name: str | None, message: str, code: str) -> dict:
    return {"kind": "VALIDATION", "field": field_name, "message": message, "code": code}


def unauthenticated(name: str) -> Callable[[Ctx], dict]:
    return lambda ctx: data(**{name: info(permission(name, "User is not authenticated."))})


def not_a_manager(name: str) -> Callable[[Ctx], dict]:
    return lambda ctx: data(**{name: info(permission(name, "User is not a manager."))})


def not_found(name: str, field_name: str, message: str) -> Callable[[Ctx], dict]:
    return lambda ctx: data(**{name: info(validation(field_name, message, "not_found"))})


def query_error(name: str, message: str) -> Callable[[Ctx], dict]:
    return lambda ctx: {
        "data": None,
        "errors": [{"message": message, "locations": [{"line": 1, "column": 3}], "path": [name]}],
    }


def ids(type_name: str, queryset) -> list[dict]:
    return [{"node": {"id": gid(type_name, pk)}} for pk in queryset.values_list("pk", flat=True)]


def node(type_name: str, row: Callable[[Ctx], object]) -> Op:
    return Op(
        query="query($id: ID!) { node(id: $id) { id } }",
        variables=lambda ctx: {"id": gid(type_name, row(ctx).pk)},
        outcomes={
            "null": lambda ctx: data(node=None),
            "found": lambda ctx: data(node={"id": gid(type_name, row(ctx).pk)}),
        },
    )


def mailing_view(ctx: Ctx, clients_seen: int) -> dict:
    mailing = ctx.rows.mailing
    return data(
        node={
            "id": gid("Mailing", mailing.pk),
            "owner": {"email": ctx.target.email},
            "message": {"subject": mailing.message.subject},
            "clientCount": 1,
            "clients": {"totalCount": clients_seen},
        }
    )


def notice(name: str, message: str, email: Callable[[Ctx], str]) -> Callable[[Ctx], dict]:
    return lambda ctx: data(**{name: {"__typename": "AccountNotice", "email": email(ctx), "message": message}})


def other_account(name: str) -> Callable[[Ctx], dict]:
    return lambda ctx: data(
        **{
            name: info(
                validation(
                    "token",
                    "This link was sent for another account than the one you are logged in with. "
                    "Log out, then open it again.",
                    "other_account",
                )
            )
        }
    )


def token_for(purpose: str) -> Callable[[Ctx], dict]:
    return lambda ctx: {"token": token_issue(user=ctx.target, purpose=purpose)}


def mutation(name: str, arguments: str, selection: str, parameters: str = "") -> str:
    head = f"mutation({parameters})" if parameters else "mutation"
    return f"{head} {{ {name}{arguments} {{ __typename {selection} {OPERATION_INFO} }} }}"


def input_mutation(name: str, input_type: str, selection: str) -> str:
    return mutation(name, "(input: $input)", selection, f"$input: {input_type}!")


def delivered_everywhere(ctx: Ctx) -> dict:
    """A run of every user's mailing, each with a row for its client (sent)."""
    for rows in ctx.world.rows.values():
        run = MailingRun.objects.create(mailing=rows.mailing, scheduled_for=rows.mailing.start_at)
        DeliveryAttempt.objects.create(run=run, client=rows.client, email=rows.client.email, status="SENT")
    return {}


def delivered_today(ctx: Ctx) -> dict:
    """As delivered_everywhere, each row last tried now (the runs stay open)."""
    delivered_everywhere(ctx)
    DeliveryAttempt.objects.update(last_attempt_at=timezone.now())
    return {}


def disable_target(ctx: Ctx) -> dict:
    Mailing.objects.filter(pk=ctx.rows.mailing.pk).update(is_active=False)
    return {"id": gid("Mailing", ctx.rows.mailing.pk)}


START, END = "2031-01-01T00:00:00+00:00", "2031-02-01T00:00:00+00:00"
NEW_PASSWORD = "a brand new passphrase 77"
BLOCKED_REASON = "matrix"

OPERATIONS: dict[str, Op] = {
    "me": Op(
        query="{ me { id email } }",
        outcomes={
            "null": lambda ctx: data(me=None),
            "self": lambda ctx: data(me={"id": gid("User", ctx.actor.pk), "email": ctx.actor.email}),
        },
    ),
    "clients": Op(
        query="{ clients { edges { node { id } } } }",
        outcomes={
            "empty": lambda ctx: data(clients={"edges": []}),
            "own": lambda ctx: data(clients={"edges": ids("Client", Client.objects.filter(owner=ctx.actor))}),
        },
    ),
    "messages": Op(
        query="{ messages { edges { node { id } } } }",
        outcomes={
            "empty": lambda ctx: data(messages={"edges": []}),
            "own": lambda ctx: data(messages={"edges": ids("Message", Message.objects.filter(owner=ctx.actor))}),
        },
    ),
    "mailings": Op(
        query="{ mailings { edges { node { id } } } }",
        outcomes={
            "empty": lambda ctx: data(mailings={"edges": []}),
            "own": lambda ctx: data(mailings={"edges": ids("Mailing", Mailing.objects.filter(owner=ctx.actor))}),
            "all": lambda ctx: data(mailings={"edges": ids("Mailing", Mailing.objects.all())}),
        },
    ),
    "users": Op(
        query="{ users { edges { node { id email } } } }",
        outcomes={
            "anon": query_error("users", "User is not authenticated."),
            "not_mgr": query_error("users", "User is not a manager."),
            "all": lambda ctx: data(
                users={
                    "edges": [
                        {"node": {"id": gid("User", user.pk), "email": user.email}}
                        for user in User.objects.order_by("pk")
                    ]
                }
            ),
        },
    ),
    "node:Client": node("Client", lambda ctx: ctx.rows.client),
    "node:Message": node("Message", lambda ctx: ctx.rows.message),
    "node:Draft": node("Message", lambda ctx: ctx.rows.draft),
    "node:User": node("User", lambda ctx: ctx.target),
    "node:Mailing": Op(
        query="""query($id: ID!) { node(id: $id) { ... on Mailing {
            id owner { email } message { subject } clientCount clients { totalCount } } } }""",
        variables=lambda ctx: {"id": gid("Mailing", ctx.rows.mailing.pk)},
        outcomes={
            "null": lambda ctx: data(node=None),
            "full": lambda ctx: mailing_view(ctx, clients_seen=1),
            "no_clients": lambda ctx: mailing_view(ctx, clients_seen=0),
        },
    ),
    "login": Op(
        query=mutation(
            "login",
            "(email: $email, password: $password)",
            "... on User { email }",
            "$email: String!, $password: String!",
        ),
        variables=lambda ctx: {"email": ctx.actor.email if ctx.actor else "nobody@example.com", "password": PASSWORD},
        outcomes={
            "ok": lambda ctx: data(login={"__typename": "User", "email": ctx.actor.email}),
            "invalid": lambda ctx: data(
                login=info(validation(None, "Incorrect e-mail or password.", "invalid_credentials"))
            ),
            "unverified": lambda ctx: data(
                login=info(
                    validation(
                        None,
                        "Verify your e-mail address first: open the link we sent you (or ask for a new one with "
                        "resendVerification).",
                        "email_not_verified",
                    )
                )
            ),
            "blocked": lambda ctx: data(
                login=info(
                    validation(
                        None, f"This account is blocked ({BLOCKED_REASON}). Contact the service's managers.", "blocked"
                    )
                )
            ),
        },
    ),
    "logout": Op(query="mutation { logout }", outcomes={"ok": lambda ctx: data(logout=True)}),
    "register": Op(
        query=input_mutation("register", "RegisterInput", "... on AccountNotice { email message }"),
        variables=lambda ctx: {"input": {"email": "fresh@example.com", "password": NEW_PASSWORD, "fullName": "Fresh"}},
        outcomes={
            "notice": notice(
                "register",
                "We sent a link to fresh@example.com. Open it to verify your address, then log in.",
                lambda ctx: "fresh@example.com",
            )
        },
        changing=("notice",),
    ),
    "verifyEmail": Op(
        query=mutation("verifyEmail", "(token: $token)", "... on AccountNotice { email message }", "$token: String!"),
        variables=token_for(TokenPurpose.VERIFY_EMAIL),
        outcomes={
            "ok": notice(
                "verifyEmail", "Your e-mail address is verified. You can now log in.", lambda ctx: ctx.target.email
            ),
            "not_yours": other_account("verifyEmail"),
        },
        changing=("ok",),
        target=newcomer_as_other,
    ),
    "resendVerification": Op(
        query=mutation(
            "resendVerification", "(email: $email)", "... on AccountNotice { email message }", "$email: String!"
        ),
        variables=lambda ctx: {"email": "newcomer@example.com"},
        outcomes={
            "notice": notice(
                "resendVerification",
                "If an account with this address is waiting for verification, we sent it a new link.",
                lambda ctx: "newcomer@example.com",
            )
        },
    ),
    "requestPasswordReset": Op(
        query=mutation(
            "requestPasswordReset", "(email: $email)", "... on AccountNotice { email message }", "$email: String!"
        ),
        variables=lambda ctx: {"email": "owner@example.com"},
        outcomes={
            "notice": notice(
                "requestPasswordReset",
                "If an account with this address exists, we sent it a link to choose a new password.",
                lambda ctx: "owner@example.com",
            )
        },
    ),
    "resetPassword": Op(
        query=mutation(
            "resetPassword",
            "(token: $token, newPassword: $password)",
            "... on AccountNotice { email message }",
            "$token: String!, $password: String!",
        ),
        variables=lambda ctx: {**token_for(TokenPurpose.RESET_PASSWORD)(ctx), "password": NEW_PASSWORD},
        outcomes={
            "ok": notice(
                "resetPassword",
                "Your password has been changed. You can now log in with it.",
                lambda ctx: ctx.target.email,
            ),
            "not_yours": other_account("resetPassword"),
        },
        changing=("ok",),
        target=newcomer_as_other,
    ),
    "changePassword": Op(
        query=mutation(
            "changePassword",
            "(oldPassword: $old, newPassword: $new)",
            "... on User { email }",
            "$old: String!, $new: String!",
        ),
        variables=lambda ctx: {"old": PASSWORD, "new": NEW_PASSWORD},
        outcomes={
            "ok": lambda ctx: data(changePassword={"__typename": "User", "email": ctx.actor.email}),
            "anon": unauthenticated("changePassword"),
        },
        changing=("ok",),
    ),
    "createClient": Op(
        query=input_mutation("createClient", "CreateClientInput", "... on Client { email }"),
        variables=lambda ctx: {"input": {"email": "new-client@example.org", "fullName": "New"}},
        outcomes={
            "ok": lambda ctx: data(createClient={"__typename": "Client", "email": "new-client@example.org"}),
            "anon": unauthenticated("createClient"),
        },
        changing=("ok",),
    ),
    "updateClient": Op(
        query=input_mutation("updateClient", "UpdateClientInput", "... on Client { id fullName }"),
        variables=lambda ctx: {"input": {"id": gid("Client", ctx.rows.client.pk), "fullName": "Changed"}},
        outcomes={
            "ok": lambda ctx: data(
                updateClient={"__typename": "Client", "id": gid("Client", ctx.rows.client.pk), "fullName": "Changed"}
            ),
            "missing": not_found("updateClient", "id", "Client not found."),
            "anon": unauthenticated("updateClient"),
        },
        changing=("ok",),
    ),
    "deleteClient": Op(
        query=input_mutation("deleteClient", "DeleteClientInput", "... on Client { id }"),
        variables=lambda ctx: {"input": {"id": gid("Client", ctx.rows.client.pk)}},
        outcomes={
            "ok": lambda ctx: data(deleteClient={"__typename": "Client", "id": gid("Client", ctx.rows.client.pk)}),
            "missing": not_found("deleteClient", "id", "Client not found."),
            "anon": unauthenticated("deleteClient"),
        },
        changing=("ok",),
    ),
    "importClients": Op(
        query=mutation(
            "importClients", "(csv: $csv)", "... on ImportClientsResult { created updated }", "$csv: String!"
        ),
        variables=lambda ctx: {"csv": "email,full_name\nimported@example.org,Imported"},
        outcomes={
            "ok": lambda ctx: data(importClients={"__typename": "ImportClientsResult", "created": 1, "updated": 0}),
            "anon": unauthenticated("importClients"),
        },
        changing=("ok",),
    ),
    "createMessage": Op(
        query=input_mutation("createMessage", "CreateMessageInput", "... on Message { subject }"),
        variables=lambda ctx: {"input": {"subject": "New", "body": "Body"}},
        outcomes={
            "ok": lambda ctx: data(createMessage={"__typename": "Message", "subject": "New"}),
            "anon": unauthenticated("createMessage"),
        },
        changing=("ok",),
    ),
    "updateMessage": Op(
        query=input_mutation("updateMessage", "UpdateMessageInput", "... on Message { id subject }"),
        variables=lambda ctx: {"input": {"id": gid("Message", ctx.rows.draft.pk), "subject": "Changed"}},
        outcomes={
            "ok": lambda ctx: data(
                updateMessage={"__typename": "Message", "id": gid("Message", ctx.rows.draft.pk), "subject": "Changed"}
            ),
            "missing": not_found("updateMessage", "id", "Message not found."),
            "anon": unauthenticated("updateMessage"),
        },
        changing=("ok",),
    ),
    "deleteMessage": Op(
        query=input_mutation("deleteMessage", "DeleteMessageInput", "... on Message { id }"),
        variables=lambda ctx: {"input": {"id": gid("Message", ctx.rows.draft.pk)}},
        outcomes={
            "ok": lambda ctx: data(deleteMessage={"__typename": "Message", "id": gid("Message", ctx.rows.draft.pk)}),
            "missing": not_found("deleteMessage", "id", "Message not found."),
            "anon": unauthenticated("deleteMessage"),
        },
        changing=("ok",),
    ),
    # Their message with my client; and (#their_clients) my message with their client.
    "createMailing": Op(
        query=input_mutation("createMailing", "CreateMailingInput", "... on Mailing { periodicity }"),
        variables=lambda ctx: {
            "input": {
                "message": gid("Message", ctx.rows.message.pk),
                "clients": [gid("Client", ctx.mine.client.pk)],
                "startAt": START,
                "endAt": END,
                "periodicity": "ONCE",
            }
        },
        outcomes={
            "ok": lambda ctx: data(createMailing={"__typename": "Mailing", "periodicity": "ONCE"}),
            "missing": not_found("createMailing", "message", "Message not found."),
            "anon": unauthenticated("createMailing"),
        },
        changing=("ok",),
    ),
    "createMailing#their_clients": Op(
        query=input_mutation("createMailing", "CreateMailingInput", "... on Mailing { periodicity }"),
        variables=lambda ctx: {
            "input": {
                "message": gid("Message", ctx.mine.message.pk),
                "clients": [gid("Client", ctx.rows.client.pk)],
                "startAt": START,
                "endAt": END,
                "periodicity": "ONCE",
            }
        },
        outcomes={
            "missing": not_found("createMailing", "clients", "Client not found (at position 1 of the list)."),
            "anon": unauthenticated("createMailing"),
        },
    ),
    "updateMailing": Op(
        query=input_mutation("updateMailing", "UpdateMailingInput", "... on Mailing { id periodicity }"),
        variables=lambda ctx: {"input": {"id": gid("Mailing", ctx.rows.mailing.pk), "periodicity": "DAILY"}},
        outcomes={
            "ok": lambda ctx: data(
                updateMailing={
                    "__typename": "Mailing",
                    "id": gid("Mailing", ctx.rows.mailing.pk),
                    "periodicity": "DAILY",
                }
            ),
            "missing": not_found("updateMailing", "id", "Mailing not found."),
            "anon": unauthenticated("updateMailing"),
        },
        changing=("ok",),
    ),
    "updateMailing#clients": Op(
        query=input_mutation("updateMailing", "UpdateMailingInput", "... on Mailing { id clientCount }"),
        variables=lambda ctx: {
            "input": {
                "id": gid("Mailing", ctx.rows.mailing.pk),
                "clients": [gid("Client", ctx.rows.client.pk), gid("Client", ctx.rows.spare_client.pk)],
            }
        },
        outcomes={
            "ok": lambda ctx: data(
                updateMailing={"__typename": "Mailing", "id": gid("Mailing", ctx.rows.mailing.pk), "clientCount": 2}
            ),
            "missing": not_found("updateMailing", "id", "Mailing not found."),
            "anon": unauthenticated("updateMailing"),
        },
        changing=("ok",),
    ),
    "deleteMailing": Op(
        query=input_mutation("deleteMailing", "DeleteMailingInput", "... on Mailing { id }"),
        variables=lambda ctx: {"input": {"id": gid("Mailing", ctx.rows.mailing.pk)}},
        outcomes={
            "ok": lambda ctx: data(deleteMailing={"__typename": "Mailing", "id": gid("Mailing", ctx.rows.mailing.pk)}),
            "missing": not_found("deleteMailing", "id", "Mailing not found."),
            "anon": unauthenticated("deleteMailing"),
        },
        changing=("ok",),
    ),
    "disableMailing": Op(
        query=mutation("disableMailing", "(id: $id)", "... on Mailing { id isActive }", "$id: ID!"),
        variables=lambda ctx: {"id": gid("Mailing", ctx.rows.mailing.pk)},
        outcomes={
            "ok": lambda ctx: data(
                disableMailing={"__typename": "Mailing", "id": gid("Mailing", ctx.rows.mailing.pk), "isActive": False}
            ),
            "missing": not_found("disableMailing", "id", "Mailing not found."),
            "anon": unauthenticated("disableMailing"),
        },
        changing=("ok",),
    ),
    "enableMailing": Op(
        query=mutation("enableMailing", "(id: $id)", "... on Mailing { id isActive }", "$id: ID!"),
        # The target starts disabled, so that enabling it changes something.
        variables=disable_target,
        outcomes={
            "ok": lambda ctx: data(
                enableMailing={"__typename": "Mailing", "id": gid("Mailing", ctx.rows.mailing.pk), "isActive": True}
            ),
            "missing": not_found("enableMailing", "id", "Mailing not found."),
            "anon": unauthenticated("enableMailing"),
        },
        changing=("ok",),
    ),
    "blockUser": Op(
        query=mutation(
            "blockUser", "(id: $id, reason: $reason)", "... on User { id blockedReason }", "$id: ID!, $reason: String!"
        ),
        variables=lambda ctx: {"id": gid("User", ctx.target.pk), "reason": "spam"},
        outcomes={
            "ok": lambda ctx: data(
                blockUser={"__typename": "User", "id": gid("User", ctx.target.pk), "blockedReason": "spam"}
            ),
            "self": lambda ctx: data(blockUser=info(validation("id", "You cannot block yourself.", "self"))),
            "not_mgr": not_a_manager("blockUser"),
            "anon": unauthenticated("blockUser"),
        },
        changing=("ok",),
    ),
    "unblockUser": Op(
        query=mutation("unblockUser", "(id: $id)", "... on User { id blockedReason }", "$id: ID!"),
        variables=lambda ctx: {"id": gid("User", ctx.target.pk)},
        outcomes={
            "ok": lambda ctx: data(
                unblockUser={"__typename": "User", "id": gid("User", ctx.target.pk), "blockedReason": ""}
            ),
            "noop": lambda ctx: data(
                unblockUser={"__typename": "User", "id": gid("User", ctx.target.pk), "blockedReason": ""}
            ),
            "not_mgr": not_a_manager("unblockUser"),
            "anon": unauthenticated("unblockUser"),
        },
        # `noop`: unblocking a user who is not blocked (the manager themselves) changes nothing.
        changing=("ok",),
        target=blocked_as_other,
    ),
    "deliveryAttempts": Op(
        query="{ deliveryAttempts { edges { node { id } } } }",
        variables=delivered_everywhere,
        outcomes={
            "empty": lambda ctx: data(deliveryAttempts={"edges": []}),
            # A delivery log names the owner's clients: their owner's alone, managers included.
            "own": lambda ctx: data(
                deliveryAttempts={
                    "edges": ids("DeliveryAttempt", DeliveryAttempt.objects.filter(run__mailing__owner=ctx.actor))
                }
            ),
        },
    ),
    "deliveryDailyCounts": Op(
        query="{ deliveryDailyCounts(days: 1) { sent } }",
        variables=delivered_today,
        outcomes={
            "empty": lambda ctx: data(deliveryDailyCounts=[]),
            # Counts of the viewer's own rows only, managers included.
            "own": lambda ctx: data(deliveryDailyCounts=[{"sent": 1}]),
        },
    ),
    "openRuns": Op(
        query="{ openRuns { id } }",
        variables=delivered_today,
        outcomes={
            "empty": lambda ctx: data(openRuns=[]),
            "own": lambda ctx: data(
                openRuns=[
                    {"id": gid("MailingRun", pk)}
                    for pk in MailingRun.objects.filter(mailing__owner=ctx.actor).values_list("pk", flat=True)
                ]
            ),
        },
    ),
    "updateProfile": Op(
        query=input_mutation("updateProfile", "UpdateProfileInput", "... on User { email language }"),
        variables=lambda ctx: {"input": {"language": "ru"}},
        outcomes={
            "ok": lambda ctx: data(updateProfile={"__typename": "User", "email": ctx.actor.email, "language": "ru"}),
            "anon": unauthenticated("updateProfile"),
        },
    ),
    "sendMailingNow": Op(
        query=mutation("sendMailingNow", "(id: $id)", "... on MailingRun { trigger mailing { id } }", "$id: ID!"),
        variables=lambda ctx: {"id": gid("Mailing", ctx.rows.mailing.pk)},
        outcomes={
            "ok": lambda ctx: data(
                sendMailingNow={
                    "__typename": "MailingRun",
                    "trigger": "MANUAL",
                    "mailing": {"id": gid("Mailing", ctx.rows.mailing.pk)},
                }
            ),
            "missing": not_found("sendMailingNow", "id", "Mailing not found."),
            "anon": unauthenticated("sendMailingNow"),
        },
        changing=("ok",),
    ),
    "sendTestMessage": Op(
        query=mutation("sendTestMessage", "(id: $id)", "... on Message { id }", "$id: ID!"),
        variables=lambda ctx: {"id": gid("Message", ctx.rows.draft.pk)},
        outcomes={
            "ok": lambda ctx: data(sendTestMessage={"__typename": "Message", "id": gid("Message", ctx.rows.draft.pk)}),
            "missing": not_found("sendTestMessage", "id", "Message not found."),
            "anon": unauthenticated("sendTestMessage"),
        },
        mail_server=True,
    ),
}


def every_identity(ctx: Ctx) -> dict:
    """A verified sender identity of every user (the anonymous have none)."""
    for name, user in ctx.world.users.items():
        SenderIdentity.objects.create(
            owner=user, name=name, email=f"sender-of-{name}@example.org", verified_at=timezone.now()
        )
    return {}


def target_identity(ctx: Ctx, *, verified: bool = True) -> SenderIdentity:
    return SenderIdentity.objects.create(
        owner=ctx.target,
        name="Target",
        email="sender@example.org",
        verified_at=timezone.now() if verified else None,
    )


def sender_token(ctx: Ctx) -> dict:
    identity = target_identity(ctx, verified=False)
    return {"token": token_issue(user=ctx.target, purpose=TokenPurpose.VERIFY_SENDER, email=identity.email)}


def identity_id(ctx: Ctx) -> str:
    # Kept on the context: once deleted, the row cannot be looked up for the expected answer.
    ctx.identity_id = gid("SenderIdentity", target_identity(ctx).pk)
    return ctx.identity_id


def identity_edges(queryset) -> dict:
    return data(
        senderIdentities={"edges": [{"node": {"email": email}} for email in queryset.values_list("email", flat=True)]}
    )


def suppressed_everywhere(ctx: Ctx) -> dict:
    """A suppressed address for every user."""
    for name, user in ctx.world.users.items():
        Suppression.objects.create(owner=user, email=f"gone-of-{name}@example.org", reason=SuppressionReason.MANUAL)
    return {}


def target_suppression(ctx: Ctx) -> Suppression:
    suppressed_everywhere(ctx)
    return Suppression.objects.get(owner=ctx.target)


def closed_run_with_a_failure(ctx: Ctx) -> dict:
    """A finished run of the target's mailing whose one row failed."""
    mailing = ctx.rows.mailing
    run = MailingRun.objects.create(mailing=mailing, scheduled_for=mailing.start_at, status=RunStatus.RUNNING)
    DeliveryAttempt.objects.create(run=run, client=ctx.rows.client, email=ctx.rows.client.email, status="FAILED")
    states.move_runs(MailingRun.objects.filter(pk=run.pk), RunStatus.FINISHED)
    return {"id": gid("MailingRun", run.pk)}


def suppression_node() -> Op:
    return Op(
        query="query($id: ID!) { node(id: $id) { id } }",
        variables=lambda ctx: {"id": gid("Suppression", target_suppression(ctx).pk)},
        outcomes={
            "null": lambda ctx: data(node=None),
            "found": lambda ctx: data(node={"id": gid("Suppression", Suppression.objects.get(owner=ctx.target).pk)}),
        },
    )


OPERATIONS.update(
    {
        "senderIdentities": Op(
            query="{ senderIdentities { edges { node { email } } } }",
            variables=every_identity,
            outcomes={
                "empty": lambda ctx: data(senderIdentities={"edges": []}),
                "own": lambda ctx: identity_edges(SenderIdentity.objects.filter(owner=ctx.actor)),
                # Read-only for a manager: every owner's identities (no mutation lets them change one).
                "all": lambda ctx: identity_edges(SenderIdentity.objects.all()),
            },
        ),
        "createSenderIdentity": Op(
            query=input_mutation(
                "createSenderIdentity", "CreateSenderIdentityInput", "... on SenderIdentity { email }"
            ),
            variables=lambda ctx: {"input": {"name": "News", "email": "news@example.org"}},
            outcomes={
                "ok": lambda ctx: data(
                    createSenderIdentity={"__typename": "SenderIdentity", "email": "news@example.org"}
                ),
                "anon": unauthenticated("createSenderIdentity"),
            },
            changing=("ok",),
        ),
        "verifySenderIdentity": Op(
            query=mutation(
                "verifySenderIdentity", "(token: $token)", "... on AccountNotice { email message }", "$token: String!"
            ),
            variables=sender_token,
            outcomes={
                "ok": notice(
                    "verifySenderIdentity",
                    "The sender address is verified: your messages can now be sent from it.",
                    lambda ctx: "sender@example.org",
                ),
                "not_yours": other_account("verifySenderIdentity"),
            },
            changing=("ok",),
        ),
        "deleteSenderIdentity": Op(
            query=input_mutation("deleteSenderIdentity", "DeleteSenderIdentityInput", "... on SenderIdentity { id }"),
            variables=lambda ctx: {"input": {"id": identity_id(ctx)}},
            outcomes={
                "ok": lambda ctx: data(
                    deleteSenderIdentity={
                        "__typename": "SenderIdentity",
                        "id": ctx.identity_id,
                    }
                ),
                "missing": not_found("deleteSenderIdentity", "id", "Sender identity not found."),
                "anon": unauthenticated("deleteSenderIdentity"),
            },
            changing=("ok",),
        ),
        "suppressions": Op(
            query="{ suppressions { edges { node { id email } } } }",
            variables=suppressed_everywhere,
            outcomes={
                "empty": lambda ctx: data(suppressions={"edges": []}),
                # The suppression list is its owner's alone, managers included.
                "own": lambda ctx: data(
                    suppressions={
                        "edges": [
                            {
                                "node": {
                                    "id": gid("Suppression", Suppression.objects.get(owner=ctx.actor).pk),
                                    "email": f"gone-of-{ctx.actor_name}@example.org",
                                }
                            }
                        ]
                    }
                ),
            },
        ),
        "node:Suppression": suppression_node(),
        "suppressAddress": Op(
            query=input_mutation("suppressAddress", "SuppressAddressInput", "... on Suppression { email reason }"),
            variables=lambda ctx: {"input": {"email": "stop@example.org"}},
            outcomes={
                "ok": lambda ctx: data(
                    suppressAddress={"__typename": "Suppression", "email": "stop@example.org", "reason": "MANUAL"}
                ),
                "anon": unauthenticated("suppressAddress"),
            },
            changing=("ok",),
        ),
        "liftSuppression": Op(
            query=input_mutation("liftSuppression", "LiftSuppressionInput", "... on Suppression { id }"),
            variables=lambda ctx: {"input": {"id": ctx.remember(gid("Suppression", target_suppression(ctx).pk))}},
            outcomes={
                "ok": lambda ctx: data(liftSuppression={"__typename": "Suppression", "id": ctx.remembered}),
                "missing": not_found("liftSuppression", "id", "Suppression not found."),
                "anon": unauthenticated("liftSuppression"),
            },
            changing=("ok",),
        ),
        "retryFailed": Op(
            query=mutation("retryFailed", "(runId: $id)", "... on MailingRun { trigger mailing { id } }", "$id: ID!"),
            variables=closed_run_with_a_failure,
            outcomes={
                "ok": lambda ctx: data(
                    retryFailed={
                        "__typename": "MailingRun",
                        "trigger": "RETRY",
                        "mailing": {"id": gid("Mailing", ctx.rows.mailing.pk)},
                    }
                ),
                "missing": not_found("retryFailed", "runId", "Run not found."),
                "anon": unauthenticated("retryFailed"),
            },
            changing=("ok",),
        ),
    }
)


def blog_posts(ctx: Ctx) -> dict:
    """A published post and a draft; the blog is public, and only what is published shows."""
    PostFactory(title="Published")
    PostFactory(title="Draft", is_published=False)
    return {}


def published_posts() -> list[Post]:
    return list(Post.objects.filter(is_published=True))


def home_figures(ctx: Ctx) -> dict:
    # Counted here by hand from the rows, not through the code under test.
    return data(
        homeStats={
            "mailingsTotal": Mailing.objects.count(),
            "mailingsActive": Mailing.objects.filter(status=MailingStatus.STARTED, is_active=True).count(),
            "uniqueClients": len(
                {
                    email.lower()
                    for email in Client.objects.filter(mailings__isnull=False).values_list("email", flat=True)
                }
            ),
        }
    )


OPERATIONS.update(
    {
        "posts": Op(
            query="{ posts { edges { node { id title } } } }",
            variables=blog_posts,
            outcomes={
                "published": lambda ctx: data(
                    posts={"edges": [{"node": {"id": gid("Post", p.pk), "title": p.title}} for p in published_posts()]}
                )
            },
        ),
        "post": Op(
            query="query($id: ID!) { post(id: $id) { id viewCount } }",
            variables=lambda ctx: {"id": gid("Post", PostFactory(view_count=0).pk)},
            outcomes={"read": lambda ctx: data(post={"id": gid("Post", Post.objects.get().pk), "viewCount": 1})},
        ),
        "post#draft": Op(
            query="query($id: ID!) { post(id: $id) { id viewCount } }",
            variables=lambda ctx: {"id": gid("Post", PostFactory(is_published=False).pk)},
            outcomes={"null": lambda ctx: data(post=None)},
        ),
        "randomPosts": Op(
            query="{ randomPosts { id title } }",
            variables=blog_posts,
            outcomes={
                "published": lambda ctx: data(
                    randomPosts=[{"id": gid("Post", p.pk), "title": p.title} for p in published_posts()]
                )
            },
        ),
        "homeStats": Op(
            query="{ homeStats { mailingsTotal mailingsActive uniqueClients } }",
            outcomes={"figures": home_figures},
        ),
        "queueStatus": Op(
            query="{ queueStatus { tasksQueued } }",
            outcomes={
                "not_mgr": query_error("queueStatus", "User is not a manager."),
                "ok": lambda ctx: data(queueStatus={"tasksQueued": 0}),
            },
        ),
    }
)


def parse(table: str) -> list[Case]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0], lines[1:]
    assert header[2:] == COLUMNS, header
    cases = []
    for operation, target, *cells in rows:
        assert len(cells) == len(ACTORS), (operation, target)
        cases += [
            Case(operation, target, actor, outcome)
            for actor, outcome in zip(ACTORS, cells, strict=True)
            if outcome != "-"
        ]
    return cases


CASES = parse(TABLE)


# Running a case.


def snapshot() -> tuple:
    """Everything an operation could change, except the session and last_login."""
    return (
        sorted(
            User.objects.values_list(
                "pk", "email", "password", "email_verified_at", "blocked_at", "blocked_reason", "sessions_revoked_at"
            )
        ),
        sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        sorted(Client.objects.values_list("pk", "owner_id", "email", "full_name", "comment")),
        sorted(Message.objects.values_list("pk", "owner_id", "subject", "body")),
        sorted(Mailing.objects.values_list("pk", "owner_id", "message_id", "periodicity", "is_active", "start_at")),
        sorted(Mailing.clients.through.objects.values_list("mailing_id", "client_id")),
        sorted(AccountToken.objects.values_list("pk", "used_at")),
        sorted(MailingRun.objects.values_list("pk", "mailing_id", "trigger")),
        sorted(SenderIdentity.objects.values_list("pk", "owner_id", "email", "verified_at")),
        sorted(Suppression.objects.values_list("pk", "owner_id", "email", "reason")),
    )


def browser_for(world: World, actor: str) -> HttpClient:
    """A browser with the actor's session (if any) and the CSRF token from a GET, as a web app gets it.

    The blocked actor logs in first and is blocked afterwards: their open session must stop working.
    """
    browser = HttpClient(enforce_csrf_checks=True)
    if actor != "anonymous":
        browser.force_login(world.users[actor])
    user_block(user=world.users["blocked"], reason=BLOCKED_REASON, actor=world.users["manager"])
    browser.csrf_token = browser.get("/accounts/csrf/").json()["csrfToken"]
    return browser


@pytest.fixture
def mail_server(settings):
    server = SmtpServer().start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.host, server.port
    yield server
    server.stop()


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_permission_matrix(case: Case, request):
    # given
    world = build_world()
    browser = browser_for(world, case.actor)
    op = OPERATIONS[case.operation]
    if op.mail_server:
        request.getfixturevalue("mail_server")
    ctx = Ctx(world=world, actor_name=case.actor, target_name=op.target(case.actor, case.target))
    variables = op.variables(ctx)
    before = snapshot()

    # when
    response = browser.post(
        "/graphql/",
        json.dumps({"query": op.query, "variables": variables}),
        content_type="application/json",
        headers={"X-CSRFToken": browser.csrf_token},
    )

    # then
    assert response.status_code == 200, response.content
    assert response.json() == op.outcomes[case.outcome](ctx)
    changed = snapshot() != before
    assert changed == (case.outcome in op.changing), "the database changed" if changed else "nothing changed"


def test_the_matrix_covers_every_operation_of_the_schema():
    # given
    graphql_schema = schema._schema
    fields = {*graphql_schema.query_type.fields, *graphql_schema.mutation_type.fields}

    # when
    covered = {case.operation.split(":")[0].split("#")[0] for case in CASES}
    print(f"\npermission matrix: {len(CASES)} cases over {len(covered)} operations")

    # then
    assert covered == fields
    assert {case.operation for case in CASES} == set(OPERATIONS)
    for case in CASES:
        assert case.outcome in OPERATIONS[case.operation].outcomes, case.id
