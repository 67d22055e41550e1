"""Actors' private contacts move to a table of their own, which no public page reads."""

import django.db.models.deletion
from django.db import migrations, models

from initiatives.curators import grant_content_permissions


def move_contacts(apps, schema_editor):
    Actor = apps.get_model("actors", "Actor")
    ActorContact = apps.get_model("actors", "ActorContact")
    db = schema_editor.connection.alias
    with_contact = Actor.objects.using(db).exclude(
        contact_name="", contact_email="", contact_phone=""
    )
    ActorContact.objects.using(db).bulk_create(
        ActorContact(
            actor=actor,
            name=actor.contact_name,
            email=actor.contact_email,
            phone=actor.contact_phone,
        )
        for actor in with_contact
    )


def grant(apps, schema_editor):
    grant_content_permissions(apps, "actors")


class Migration(migrations.Migration):
    dependencies = [("actors", "0003_actor_edit_count")]

    operations = [
        migrations.CreateModel(
            name="ActorContact",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(blank=True, max_length=200, verbose_name="contact name")),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="contact email")),
                ("phone", models.CharField(blank=True, max_length=40, verbose_name="contact phone")),
                (
                    "actor",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contact",
                        to="actors.actor",
                        verbose_name="actor",
                    ),
                ),
            ],
            options={"verbose_name": "private contact", "verbose_name_plural": "private contacts"},
        ),
        migrations.RunPython(move_contacts, migrations.RunPython.noop),
        migrations.RemoveField(model_name="actor", name="contact_email"),
        migrations.RemoveField(model_name="actor", name="contact_name"),
        migrations.RemoveField(model_name="actor", name="contact_phone"),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
