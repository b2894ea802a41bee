from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT_MANAGERS = "Content managers"
CODENAMES = ["add_post", "change_post", "delete_post", "view_post"]


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations ran; make the blog's now to grant them.
    app_config = apps.get_app_config("blog")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CONTENT_MANAGERS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="blog", codename__in=CODENAMES))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=CONTENT_MANAGERS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="blog", codename__in=CODENAMES))


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0001_initial"),
        ("accounts", "0002_role_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
