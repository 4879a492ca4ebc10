"""The oversight pages (督察整改与信访): the ledgers (console.ledgers.oversight), the task, petition, order
and circular detail pages with the workflow actions the user may take now, the hand-over import, and
the member unit's inbox (成员单位待办).

Every row is looked up through oversight.selectors with the caller's scope (a row not handed to a unit,
or outside a reviewer's jurisdiction, is a 404 as in the API); every action posts (CSRF) to the same
oversight service the API calls, so the roles and transitions are the services' own. A refused action
re-renders the page with the messages beside the form and the input kept (400/409/413), never a 500.
"""

from __future__ import annotations

from django.urls import path

from console.views.ledgers import ledger_view
from console.views.oversight.inbox import inbox
from console.views.oversight.orders import circular_detail, circular_new, circular_sign, order_detail, order_reply
from console.views.oversight.petitions import attachment, petition_action, petition_detail, petition_import
from console.views.oversight.tasks import task_action, task_detail

# ------------------------------------------------------------------------------------------ routes

LEDGER_ROUTES = {
    "oversight_finding_list": ("oversight/findings/", "oversight_findings"),
    "oversight_task_list": ("oversight/tasks/", "oversight_tasks"),
    "oversight_petition_list": ("oversight/petitions/", "oversight_petitions"),
    "oversight_order_list": ("oversight/orders/", "oversight_orders"),
    "oversight_circular_list": ("oversight/circulars/", "oversight_circulars"),
}

urlpatterns = [
    *[path(route, ledger_view(name, slug), name=name) for name, (route, slug) in LEDGER_ROUTES.items()],
    path("oversight/inbox/", inbox, name="oversight_inbox"),
    path("oversight/tasks/<int:pk>/", task_detail, name="oversight_task_detail"),
    path("oversight/tasks/<int:pk>/<str:action>/", task_action, name="oversight_task_action"),
    path("oversight/petitions/import/", petition_import, name="oversight_petition_import"),
    path("oversight/petitions/<int:pk>/", petition_detail, name="oversight_petition_detail"),
    path("oversight/petitions/<int:pk>/<str:action>/", petition_action, name="oversight_petition_action"),
    path("oversight/attachments/<int:pk>/", attachment, name="oversight_attachment"),
    path("oversight/orders/<int:pk>/", order_detail, name="oversight_order_detail"),
    path("oversight/orders/<int:pk>/reply/", order_reply, name="oversight_order_reply"),
    path("oversight/circulars/new/", circular_new, name="oversight_circular_new"),
    path("oversight/circulars/<int:pk>/", circular_detail, name="oversight_circular_detail"),
    path("oversight/circulars/<int:pk>/sign/", circular_sign, name="oversight_circular_sign"),
]
