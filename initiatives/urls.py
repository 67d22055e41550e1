from django.urls import path

from . import views

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative_list"),
    path(
        "initiatives/<slug:slug>/", views.InitiativeDetailView.as_view(), name="initiative_detail"
    ),
    path("initiatives/<slug:slug>/corriger/", views.CorrectView.as_view(), name="correct"),
    path(
        "initiatives/<slug:slug>/corriger/merci/",
        views.CorrectionSentView.as_view(),
        name="correction_sent",
    ),
    path("territoires/", views.TerritoryListView.as_view(), name="territory_list"),
    path("territoires/<slug:slug>/", views.TerritoryDetailView.as_view(), name="territory_detail"),
    path("themes/", views.ThemeListView.as_view(), name="theme_list"),
    path("themes/<slug:slug>/", views.ThemeDetailView.as_view(), name="theme_detail"),
    path("proposer/", views.ProposeView.as_view(), name="propose"),
    path(
        "proposer/envoyee/<str:token>/",
        views.ProposalStatusView.as_view(just_sent=True),
        name="proposal_sent",
    ),
    path("proposer/suivi/<str:token>/", views.ProposalStatusView.as_view(), name="proposal_status"),
    path("proposer/communes.json", views.commune_suggestions, name="commune_suggestions"),
    path("proposer/acteurs.json", views.actor_suggestions, name="actor_suggestions"),
    path("confidentialite/", views.PrivacyView.as_view(), name="privacy"),
    path("mentions-legales/", views.LegalNoticeView.as_view(), name="legal_notice"),
]
