from datetime import datetime
from typing import Annotated

import strawberry
import strawberry_django
from strawberry import UNSET, relay

from graphql_schema.context import Info, viewer
from graphql_schema.identities.types import SenderIdentityType
from graphql_schema.mailing.inputs import PeriodicityValue
from graphql_schema.mailing.types import ClientType, MailingType, MessageType
from graphql_schema.permissions import IsAuthenticated
from graphql_schema.relay import node_from, node_pk, node_pks
from mailing import selectors
from mailing.services import clients as client_services
from mailing.services import imports as import_services
from mailing.services import mailings as mailing_services
from mailing.services import messages as message_services


def _given(**values) -> dict:
    """The arguments the client actually sent (UNSET means "leave as it is")."""
    return {name: value for name, value in values.items() if value is not UNSET}


@strawberry.type(description="One bad row of a CSV import.")
class ImportRowError:
    row: int = strawberry.field(description="The row's number in the file; row 1 is the header.")
    field: str | None = strawberry.field(description="The column at fault (API name), or null for the whole row.")
    message: str = strawberry.field(description="What is wrong.")


@strawberry.type(description="What an import did.")
class ImportClientsResult:
    created: int = strawberry.field(description="Clients created.")
    updated: int = strawberry.field(description="Existing clients (same e-mail) whose name or comment changed.")
    unchanged: int = strawberry.field(description="Rows that matched an existing client exactly.")
    errors: list[ImportRowError] = strawberry.field(description="Rows that were not imported, and why.")


@strawberry.type
class MailingMutation:
    @strawberry_django.input_mutation(extensions=[IsAuthenticated()], description="Add a client to your list.")
    def create_client(self, info: Info, email: str, full_name: str, comment: str = "") -> ClientType:
        return client_services.client_create(owner=viewer(info), email=email, full_name=full_name, comment=comment)

    @strawberry_django.input_mutation(extensions=[IsAuthenticated()], description="Change a client.")
    def update_client(
        self,
        info: Info,
        id: relay.GlobalID,
        email: str | None = UNSET,
        full_name: str | None = UNSET,
        comment: str | None = UNSET,
    ) -> ClientType:
        data = _given(email=email, full_name=full_name, comment=comment)
        return client_services.client_update(
            client=node_from(info, id, ClientType, selectors.client_get_owned), data=data
        )

    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()], description="Delete a client; it leaves the mailings it was in."
    )
    def delete_client(self, info: Info, id: relay.GlobalID) -> ClientType:
        client = node_from(info, id, ClientType, selectors.client_get_owned)
        client_services.client_delete(client=client)
        client.pk = id.node_id
        return client

    @strawberry_django.input_mutation(extensions=[IsAuthenticated()], description="Write a message.")
    def create_message(
        self, info: Info, subject: str, body: str, html_body: str = "", sender: relay.GlobalID | None = None
    ) -> MessageType:
        return message_services.message_create(
            owner=viewer(info),
            subject=subject,
            body=body,
            html_body=html_body,
            # An id that names no identity of yours is refused, not taken for "none".
            sender_id=(node_pk(sender, SenderIdentityType) or "0") if sender is not None else None,
        )

    @strawberry_django.input_mutation(extensions=[IsAuthenticated()], description="Change a message.")
    def update_message(
        self,
        info: Info,
        id: relay.GlobalID,
        subject: str | None = UNSET,
        body: str | None = UNSET,
        html_body: str | None = UNSET,
        sender: relay.GlobalID | None = UNSET,
    ) -> MessageType:
        data = _given(subject=subject, body=body, html_body=html_body)
        if sender is not UNSET:
            # An id that names no identity of yours is refused, not taken for "none".
            data["sender_id"] = (node_pk(sender, SenderIdentityType) or "0") if sender is not None else None
        return message_services.message_update(
            message=node_from(info, id, MessageType, selectors.message_get_owned), data=data
        )

    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()], description="Delete a message that no mailing uses."
    )
    def delete_message(self, info: Info, id: relay.GlobalID) -> MessageType:
        message = node_from(info, id, MessageType, selectors.message_get_owned)
        message_services.message_delete(message=message)
        message.pk = id.node_id
        return message

    @strawberry_django.mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Send one of your messages to your own address now, as a recipient would get it ({name} and {email} "
            "filled in with yours), through the service's mail server. A refusal names the server's reply."
        ),
    )
    def send_test_message(self, info: Info, id: relay.GlobalID) -> MessageType:
        message = node_from(info, id, MessageType, selectors.message_get_owned)
        message_services.message_send_test(message=message, recipient=viewer(info))
        return message

    @strawberry_django.input_mutation(extensions=[IsAuthenticated()], description="Schedule a mailing.")
    def create_mailing(
        self,
        info: Info,
        message: relay.GlobalID,
        clients: list[relay.GlobalID],
        start_at: datetime,
        end_at: datetime,
        periodicity: PeriodicityValue,
        time_zone: Annotated[
            str | None,
            strawberry.argument(
                description="The IANA zone of the schedule (default: yours); naive startAt/endAt are read in it."
            ),
        ] = None,
    ) -> MailingType:
        return mailing_services.mailing_create(
            time_zone=time_zone,
            owner=viewer(info),
            message_id=node_pk(message, MessageType),
            client_ids=node_pks(clients, ClientType),
            start_at=start_at,
            end_at=end_at,
            periodicity=periodicity,
        )

    @strawberry_django.input_mutation(
        extensions=[IsAuthenticated()],
        description="Change a mailing: any of its message, clients, times and periodicity.",
    )
    def update_mailing(
        self,
        info: Info,
        id: relay.GlobalID,
        message: relay.GlobalID | None = UNSET,
        clients: list[relay.GlobalID] | None = UNSET,
        start_at: datetime | None = UNSET,
        end_at: datetime | None = UNSET,
        periodicity: PeriodicityValue | None = UNSET,
        time_zone: Annotated[
            str | None,
            strawberry.argument(
                description="A new IANA zone of the schedule; alone it keeps the stored start and end instants."
            ),
        ] = UNSET,
    ) -> MailingType:
        data = _given(start_at=start_at, end_at=end_at, periodicity=periodicity, time_zone=time_zone)
        if message is not UNSET:
            data["message_id"] = node_pk(message, MessageType) if message is not None else None
        if clients is not UNSET:
            data["client_ids"] = node_pks(clients or [], ClientType)
        return mailing_services.mailing_update(
            mailing=node_from(info, id, MailingType, selectors.mailing_get_owned), data=data
        )

    @strawberry_django.input_mutation(extensions=[IsAuthenticated()], description="Delete a mailing.")
    def delete_mailing(self, info: Info, id: relay.GlobalID) -> MailingType:
        mailing = node_from(info, id, MailingType, selectors.mailing_get_owned)
        mailing_services.mailing_delete(mailing=mailing)
        mailing.pk = id.node_id
        return mailing

    @strawberry_django.mutation(
        extensions=[IsAuthenticated()],
        description=(
            "Create or update clients from CSV with the header row `email,full_name,comment`. A row whose "
            "e-mail matches one of your clients updates it. Bad rows are reported; good rows are kept."
        ),
    )
    def import_clients(self, info: Info, csv: str) -> ImportClientsResult:
        result = import_services.clients_import_csv(owner=viewer(info), csv_text=csv)
        return ImportClientsResult(
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            errors=[ImportRowError(row=e.row, field=e.field, message=e.message) for e in result.errors],
        )
