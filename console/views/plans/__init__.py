"""The plan, red-line and month-lock pages (用水计划、三条红线、台账锁定; issue 15 item 4): the plan of a
year with its versions, use against plan and the amend form; a year's red-line targets with their
state and the forms that set them; the month-lock calendar of a division with the lock and unlock
forms. Reads through water.plan_selectors with the caller's scope (outside it a 404), writes through
water.plan_services (the API's own roles, audit rows and 409s)."""

from __future__ import annotations

from django.urls import path

from console.views.plans.locks import lock_create, lock_grid, lock_unlock
from console.views.plans.plan import plan_amend, plan_detail
from console.views.plans.redlines import redline_create, redline_edit, redline_year

urlpatterns = [
    path("water/plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("water/plans/<int:pk>/amend/", plan_amend, name="plan_amend"),
    path("water/redlines/year/", redline_year, name="redline_year"),
    path("water/redlines/new/", redline_create, name="redline_create"),
    path("water/redlines/<int:pk>/edit/", redline_edit, name="redline_edit"),
    path("water/locks/calendar/", lock_grid, name="lock_grid"),
    path("water/locks/lock/", lock_create, name="lock_create"),
    path("water/locks/unlock/", lock_unlock, name="lock_unlock"),
]
