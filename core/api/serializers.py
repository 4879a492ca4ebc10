"""Serializer bases shared by the apps."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

# Largest value of a BigAutoField (signed 64-bit): larger ids cannot exist, and passing them to the
# database overflows (SQLite raises OverflowError).
MAX_ID = 2**63 - 1


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know. Used where a misspelt optional field would silently change the
    meaning of a write (e.g. "valid_untill" would make an appointment open-ended)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)
