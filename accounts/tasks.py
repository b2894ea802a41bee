from accounts import services


def send_account_mail(kind: str, user_id: int) -> str:
    return services.account_mail_send(kind=kind, user_id=user_id)
