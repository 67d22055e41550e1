"""Django's loaddata, then one refresh of the directory for what the fixtures changed.

Fixture rows are saved raw, which the freshness receivers skip (their related rows may not be
loaded yet): the initiatives they concern are gathered while loading and handed to
directory_changed() once, in the command's transaction.
"""

from django.core.management.commands import loaddata

from initiatives import freshness


class Command(loaddata.Command):
    def loaddata(self, fixture_labels):
        self.directory_touched = False
        self.changed_initiatives = set()
        super().loaddata(fixture_labels)
        if self.directory_touched:
            freshness.directory_changed(self.changed_initiatives, using=self.using)

    def save_obj(self, obj):
        saved = super().save_obj(obj)
        if saved and type(obj.object) in freshness.WATCHED:
            self.directory_touched = True
            self.changed_initiatives.update(freshness.initiatives_affected_by(obj.object))
        return saved
