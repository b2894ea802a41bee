from mailing.identities import services


def send_sender_verification(identity_id: int) -> str:
    return services.sender_verification_send(identity_id=identity_id)
