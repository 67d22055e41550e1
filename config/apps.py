from importlib import import_module

from django.apps import apps
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.module_loading import module_has_submodule


class AdminConfig(SimpleAdminConfig):
    """The admin, discovering every app's admin module except django-leaflet's.

    leaflet.admin imports GeoDjango, which needs the GDAL library we do not install.
    """

    default_site = "config.admin_site.EssaimAdminSite"

    def ready(self):
        super().ready()
        from . import checks  # noqa: F401 (registers the project's system checks)

        for app_config in apps.get_app_configs():
            if app_config.name != "leaflet" and module_has_submodule(app_config.module, "admin"):
                import_module(f"{app_config.name}.admin")
