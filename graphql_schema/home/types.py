import strawberry


@strawberry.type(name="HomeStats", description="Service-wide figures, as the home page shows them (cached briefly).")
class HomeStatsType:
    mailings_total: int = strawberry.field(description="All mailings of all users.")
    mailings_active: int = strawberry.field(description="Mailings that are started and enabled.")
    unique_clients: int = strawberry.field(
        description="Distinct e-mail addresses (case-insensitive) among the recipients of any mailing."
    )
