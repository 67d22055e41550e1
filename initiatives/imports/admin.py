"""The curators' import pages, in steps: upload the file, map its columns, check the dry run
(rejected rows, possible duplicates, conflicts), confirm."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.admin_site import SiteAdminMixin
from initiatives.models import ImportMapping, ImportRun

from .engine import Action, apply_import, plan_import
from .forms import MappingForm, UploadForm
from .mapping import proposed_mapping
from .readers import UnreadableFile, read_table


@admin.register(ImportMapping)
class ImportMappingAdmin(SiteAdminMixin, admin.ModelAdmin):
    list_display = ["name", "source", "updated_at"]
    search_fields = ["name", "source"]
    fields = ["name", "source", "mapping"]


@admin.register(ImportRun)
class ImportRunAdmin(SiteAdminMixin, admin.ModelAdmin):
    list_display = ["file_name", "source", "status", "created_by", "created_at", "summary"]
    list_filter = ["status", "source"]
    list_select_related = ["created_by"]
    readonly_fields = ["file_name", "source", "status", "created_by", "created_at", "applied_at"]
    fields = readonly_fields + ["report"]

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("result"))
    def summary(self, run):
        counts = run.report.get("applied") or run.report.get("counts") or {}
        return ", ".join(f"{key}: {value}" for key, value in counts.items() if value)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/mapping/", view(self.mapping_view), name="initiatives_importrun_mapping"
            ),
            path(
                "<int:pk>/preview/", view(self.preview_view), name="initiatives_importrun_preview"
            ),
            *super().get_urls(),
        ]

    def context(self, request, title, **extra):
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **extra}

    def check_permission(self, request):
        if not (
            self.has_add_permission(request) and request.user.has_perm("initiatives.add_initiative")
        ):
            raise PermissionDenied

    def add_view(self, request, form_url="", extra_context=None):
        """Step 1: the file."""
        self.check_permission(request)
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            saved = form.cleaned_data["saved_mapping"]
            run = ImportRun.objects.create(
                file=form.cleaned_data["file"],
                file_name=form.cleaned_data["file"].name[:255],
                source=form.cleaned_data["source"],
                mapping=saved.mapping if saved else proposed_mapping(form.table),
                created_by=request.user,
            )
            return HttpResponseRedirect(
                reverse("admin:initiatives_importrun_mapping", args=[run.pk])
            )
        return TemplateResponse(
            request,
            "admin/initiatives/importrun/upload.html",
            self.context(request, _("Import initiatives: the file"), form=form),
        )

    def open_run(self, request, pk):
        self.check_permission(request)
        run = get_object_or_404(ImportRun, pk=pk)
        if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED):
            return run, None
        try:
            with run.file.open("rb") as file:
                return run, read_table(file.read())
        except (OSError, UnreadableFile):
            return run, None

    def mapping_view(self, request, pk):
        """Step 2: which column is what."""
        run, table = self.open_run(request, pk)
        if table is None:
            return self.gone(request, run)
        form = MappingForm(request.POST or None, table=table, mapping=run.mapping)
        if request.method == "POST" and form.is_valid():
            run.mapping = form.mapping()
            run.status = ImportRun.Status.MAPPED
            run.save(update_fields=["mapping", "status"])
            if form.cleaned_data["save_as"]:
                ImportMapping.objects.update_or_create(
                    name=form.cleaned_data["save_as"],
                    defaults={"source": run.source, "mapping": run.mapping},
                )
            return HttpResponseRedirect(
                reverse("admin:initiatives_importrun_preview", args=[run.pk])
            )
        return TemplateResponse(
            request,
            "admin/initiatives/importrun/mapping.html",
            self.context(
                request,
                _("Import initiatives: the columns of %(file)s") % {"file": run.file_name},
                form=form,
                run=run,
                table=table,
            ),
        )

    def preview_view(self, request, pk):
        """Step 3: the dry run, the choices, the confirmation."""
        run, table = self.open_run(request, pk)
        if table is None:
            return self.gone(request, run)
        plan = plan_import(table, run.mapping, run.source)
        if request.method == "POST":
            decisions = {
                "duplicates": {
                    row.line: request.POST.get(f"duplicate-{row.line}", "skip")
                    for row in plan.duplicates()
                },
                "conflicts": {
                    f"{row.line}:{conflict.field}": request.POST.get(
                        f"conflict-{row.line}-{conflict.field}", "keep"
                    )
                    for row in plan.conflicted()
                    for conflict in row.conflicts
                },
            }
            try:
                report = apply_import(plan, decisions, user=request.user, file_name=run.file_name)
            except DatabaseError as error:
                run.status = ImportRun.Status.FAILED
                run.report = {"counts": plan.counts(), "error": str(error)}
                run.save(update_fields=["status", "report"])
                self.message_user(
                    request,
                    _("The import failed and nothing was written: %(error)s") % {"error": error},
                    messages.ERROR,
                )
            else:
                run.status = ImportRun.Status.DONE
                run.applied_at = timezone.now()
                run.report = {
                    "counts": plan.counts(),
                    "applied": report.as_dict(),
                    "rejected": [[row.line, row.reason] for row in plan.rejected()],
                }
                run.save(update_fields=["status", "applied_at", "report"])
                self.message_user(
                    request,
                    _(
                        "Imported: %(created)d created, %(updated)d updated, %(merged)d merged, "
                        "%(unchanged)d unchanged, %(skipped)d skipped, %(rejected)d rejected."
                    )  # fmt: skip
                    % report.as_dict(),
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(
                reverse("admin:initiatives_importrun_change", args=[run.pk])
            )
        run.report = {"counts": plan.counts()}
        run.save(update_fields=["report"])
        return TemplateResponse(
            request,
            "admin/initiatives/importrun/preview.html",
            self.context(
                request,
                _("Import initiatives: check, then confirm"),
                run=run,
                plan=plan,
                counts=plan.counts(),
                warned=[row for row in plan.rows if row.warnings and row.action != Action.REJECTED],
            ),
        )

    def gone(self, request, run):
        self.message_user(
            request, _("This import is over, or its file is no longer readable."), messages.WARNING
        )
        return HttpResponseRedirect(reverse("admin:initiatives_importrun_change", args=[run.pk]))
