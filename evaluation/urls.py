from django.urls import path

from . import views

urlpatterns = [
    path("evaluation/", views.EvaluationIndexView.as_view(), name="evaluation_index"),
    path(
        "initiatives/<slug:slug>/evaluations/<int:pk>/",
        views.AssessmentDetailView.as_view(),
        name="assessment_detail",
    ),
    path("comparer/", views.compare_initiatives, name="compare_initiatives"),
]
