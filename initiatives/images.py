"""Photos and logos uploaded by curators, resized once, when they are saved.

An uploaded image is replaced by two WebP copies: the image itself, at most LARGE pixels wide
(an initiative's page, an actor's page), and its thumbnail, at most THUMBNAIL wide (cards,
lists). Pages then send small files with their width and height, and never the
photographer's 6,000-pixel original. Both go through Django's storage API (STORAGES
"default"), so production may keep them in object storage.
"""

import io
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

LARGE = 1200
THUMBNAIL = 480
# WebP at this quality: a 1,200-pixel photo weighs about 100 KB.
QUALITY = 80


def webp_copy(image, width):
    """A WebP file of this Pillow image, at most `width` pixels wide."""
    copy = image.copy()
    copy.thumbnail((width, width * 4))
    buffer = io.BytesIO()
    copy.save(buffer, "WEBP", quality=QUALITY)
    return ContentFile(buffer.getvalue())


def resize_upload(image_field, thumbnail_field):
    """If `image_field` (a FieldFile) holds a new upload, replace it with its LARGE copy and
    put its THUMBNAIL copy in `thumbnail_field`; if it was emptied, empty the thumbnail.
    Call it from the model's save(), before the row is written."""
    if not image_field:
        if thumbnail_field:
            thumbnail_field.delete(save=False)
        return
    if image_field._committed:  # already stored: resized when it was uploaded
        return
    try:
        with Image.open(image_field) as opened:
            image = ImageOps.exif_transpose(opened)  # photos taken sideways stand up
            image.load()
    except (OSError, Image.DecompressionBombError) as error:
        raise ValidationError(_("This file is not an image that can be read.")) from error
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    name = PurePath(image_field.name).stem + ".webp"
    thumbnail_field.save(name, webp_copy(image, THUMBNAIL), save=False)
    image_field.save(name, webp_copy(image, LARGE), save=False)


def upload_path(instance, filename):
    """initiative/maison-des-echanges.webp, actor/fondation-macif.webp: the storage adds a
    suffix when the name is taken."""
    return f"{instance._meta.model_name}/{PurePath(filename).name}"


def thumbnail_path(instance, filename):
    return f"{instance._meta.model_name}/thumbnails/{PurePath(filename).name}"


class WithImage(models.Model):
    """An image with its description and its thumbnail, resized on save (resize_upload)."""

    image = models.ImageField(
        _("image"),
        upload_to=upload_path,
        blank=True,
        width_field="image_width",
        height_field="image_height",
        help_text=_("A photo or a logo, JPEG, PNG or WebP; it is resized on saving."),
    )
    image_alt = models.CharField(
        _("image description"),
        max_length=250,
        blank=True,
        help_text=_("What the image shows, for people who cannot see it."),
    )
    image_width = models.PositiveIntegerField(null=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, editable=False)
    thumbnail = models.ImageField(
        upload_to=thumbnail_path,
        blank=True,
        editable=False,
        width_field="thumbnail_width",
        height_field="thumbnail_height",
    )
    thumbnail_width = models.PositiveIntegerField(null=True, editable=False)
    thumbnail_height = models.PositiveIntegerField(null=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        resize_upload(self.image, self.thumbnail)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.image and not self.image_alt.strip():
            raise ValidationError(
                {"image_alt": _("Describe the image for people who cannot see it.")}
            )
