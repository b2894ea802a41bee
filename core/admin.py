"""Admin roles, and django-q's tasks and schedules opened to managers (read-only)."""

from django.contrib import admin
from django_q import admin as q_admin
from django_q import models as q_models
from django_q.conf import Conf

from core.roles import is_manager


class ManagersMayView:
    """Managers (staff members of the "Managers" group) see these rows, and change nothing.

    Declared in code rather than granted as database permissions, so that the role means the
    same on every installation.
    """

    def has_module_permission(self, request):
        return super().has_module_permission(request) or is_manager(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or is_manager(request.user)

    def get_actions(self, request):
        # Actions that declare no permission (django-q's "resubmit") would otherwise be offered
        # to anyone who may view the list.
        return super().get_actions(request) if self.has_change_permission(request) else {}


class SuccessfulTaskAdmin(ManagersMayView, q_admin.TaskAdmin):
    pass


class FailedTaskAdmin(ManagersMayView, q_admin.FailAdmin):
    pass


class ScheduleAdmin(ManagersMayView, q_admin.ScheduleAdmin):
    pass


class QueuedTaskAdmin(ManagersMayView, q_admin.QueueAdmin):
    pass


# django-q registered its own admins (it comes first in INSTALLED_APPS); ours replace them.
QUEUE_ADMINS = {
    q_models.Success: SuccessfulTaskAdmin,
    q_models.Failure: FailedTaskAdmin,
    q_models.Schedule: ScheduleAdmin,
}
if Conf.ORM:
    QUEUE_ADMINS[q_models.OrmQ] = QueuedTaskAdmin
for model, model_admin in QUEUE_ADMINS.items():
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
