"""A user's id on the wire: a numeric string, as the `/api/ai` contract has `userId`.

Every user id the API shows (`userId`, `Me.id`, a case's `clientId` and `lawyerIds`) is the
same string, so a frontend passes one to another without converting it. A request may still
send a number, as callers of the first version of the API did.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from config.api import is_whole_number

# A primary key: at most 18 digits (within MariaDB's BIGINT), no sign, no leading zero.
_MAX_DIGITS = 18
USER_ID_PATTERN = rf"^[1-9][0-9]{{0,{_MAX_DIGITS - 1}}}$"
_INVALID = 'Enter a user id: a whole number such as "4", as a string or a number.'


def user_id_parsed(value: Any) -> int:
    """The id a request sent, as an int; ValidationError for anything but a positive whole
    number (a bool is no number here, nor digits with spaces around; 4.0 is one, as JSON
    Schema counts it)."""
    if (is_whole_number(value) and abs(value) < 10**_MAX_DIGITS) or (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and len(value) <= _MAX_DIGITS
        and not value.startswith("0")
    ):
        number = int(value)
    else:
        raise serializers.ValidationError(_INVALID)
    if not 1 <= number < 10**_MAX_DIGITS:
        raise serializers.ValidationError(_INVALID)
    return number


class UserIdField(serializers.Field):
    """A user's id: read as `user_id_parsed` reads it, shown as a string."""

    def to_internal_value(self, data: Any) -> int:
        return user_id_parsed(data)

    def to_representation(self, value: int) -> str:
        return str(value)


class _UserPrimaryKeyList(serializers.ManyRelatedField):
    # DRF's takes any iterable that is not a string, a JSON object too (its keys): only an
    # array is a list of ids.
    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class UserPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A user chosen by id (from the field's queryset), shown as a string; `many=True`: a
    JSON array of them."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> serializers.ManyRelatedField:
        shared = {key: value for key, value in kwargs.items() if key in MANY_RELATION_KWARGS}
        return _UserPrimaryKeyList(child_relation=cls(*args, **kwargs), **shared)

    def to_internal_value(self, data: Any) -> Any:
        return super().to_internal_value(user_id_parsed(data))

    def to_representation(self, value: Any) -> str:
        return str(value.pk)


def user_id_schema(direction: str) -> dict[str, Any]:
    """A string of digits in answers; in requests, such a string or a number."""
    as_text = {"type": "string", "pattern": USER_ID_PATTERN, "example": "4"}
    if direction == "response":
        return as_text
    return {"oneOf": [as_text, {"type": "integer", "minimum": 1, "maximum": 10**_MAX_DIGITS - 1}]}


class UserIdFieldScheme(OpenApiSerializerFieldExtension):
    target_class = UserIdField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return user_id_schema(direction)


class UserPrimaryKeyFieldScheme(UserIdFieldScheme):
    target_class = UserPrimaryKeyField
