"""River-chief office pages that write (issue 15 items 2 and 8): the patrol review queue and review
page, recomputing patrols under the current rules, and the reference data a reviewer keeps — chief
appointments and the patrol validity and frequency rules. Every row through the apps' selectors with
the user's scope (outside it: 404), every write through the services the API and the management
command call (same roles, same audit rows). Reviewers and administrators only: the menu shows these
pages to nobody else and the pages answer 403 to other roles."""

from __future__ import annotations

from django.urls import path

from console.views.patrols import appointments, recompute, review, rules

urlpatterns = [
    path("river/review/", review.review_queue, name="patrol_review_queue"),
    path("river/review/<str:pk>/", review.review_page, name="patrol_review"),
    path("river/review/<str:pk>/decide/", review.review_decide, name="patrol_review_decide"),
    path("river/recompute/", recompute.recompute_page, name="patrol_recompute"),
    path("river/rules/", rules.rule_list, name="patrol_rules"),
    path("river/rules/<slug:kind>/new/", rules.rule_edit, name="patrol_rule_new"),
    path("river/rules/<slug:kind>/<int:pk>/", rules.rule_edit, name="patrol_rule_edit"),
    path("river/rules/<slug:kind>/<int:pk>/delete/", rules.rule_delete, name="patrol_rule_delete"),
    path("river/appointments/", appointments.appointment_list, name="chief_appointments"),
    path("river/appointments/new/", appointments.appointment_new, name="chief_appointment_new"),
    path("river/appointments/<int:pk>/end/", appointments.appointment_end, name="chief_appointment_end"),
]
