"""Who holds which role: membership of the role groups (superusers hold every role)."""

from accounts.models import CONTENT_MANAGERS_GROUP, MANAGERS_GROUP


def _in_group(user, name: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Remembered on the user object: the admin asks many times while it renders one page.
    memo = user.__dict__.setdefault("_role_memo", {})
    if name not in memo:
        memo[name] = user.groups.filter(name=name).exists()
    return memo[name]


def is_manager(user) -> bool:
    return _in_group(user, MANAGERS_GROUP)


def is_content_manager(user) -> bool:
    return _in_group(user, CONTENT_MANAGERS_GROUP)
