from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    """The model backend, refusing users who may not hold a session.

    Django asks `user_can_authenticate` both when a password is checked and on every request
    that carries a session (`get_user`), so an account that is blocked, deactivated or not yet
    verified is anonymous from its very next request on.
    """

    def user_can_authenticate(self, user):
        return getattr(user, "can_log_in", False)
