"""Role checks that are safe on any user, anonymous included. The roles themselves are defined
once, on accounts.User (`is_manager`, `is_content_manager`); superusers hold every role here."""


def is_signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def is_manager(user) -> bool:
    return is_signed_in(user) and user.is_manager


def is_content_manager(user) -> bool:
    return is_signed_in(user) and (user.is_superuser or user.is_content_manager)
