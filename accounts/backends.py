from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class AccountBackend(ModelBackend):
    """The model backend, refusing users who may not hold a session.

    Django asks `user_can_authenticate` both when a password is checked and on every request
    that carries a session (`get_user`), so an account that is blocked, deactivated or not yet
    verified is anonymous from its very next request on.
    """

    def user_can_authenticate(self, user):
        return getattr(user, "can_log_in", False)

    def get_user(self, user_id):
        # The session's user, with its roles in the same query.
        user = User.objects.with_roles().filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
