"""The services queue notify's tasks by name (tasks import services, not the reverse): the name must be
one the tasks module registers, or the queue message would reach no worker."""

from celery import current_app

from notify.services.events import DELIVER_BATCH_TASK
from notify.tasks import deliver_batch


def test_the_queued_name_is_the_registered_delivery_task() -> None:
    assert deliver_batch.name == DELIVER_BATCH_TASK
    assert current_app.tasks[DELIVER_BATCH_TASK].name == DELIVER_BATCH_TASK  # registered under that name
