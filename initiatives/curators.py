"""The "Curators" group: staff who manage the directory's content, not its users."""

from django.contrib.auth.management import create_permissions

CURATORS_GROUP = "Curators"


def grant_content_permissions(apps, app_label):
    """Give the Curators group every permission on an app's models (for data migrations).

    On a fresh database the permissions do not exist yet while migrations run (Django
    creates them after), so create them first.
    """
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label))
