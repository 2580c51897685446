"""Serializer pieces shared by every endpoint: strict JSON integers and no unknown fields in,
fields built once per class in and out, and a compiled representation out."""

from datetime import UTC, datetime
from operator import attrgetter
from types import MappingProxyType

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, RelatedField


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: no strings, floats or booleans (money is never guessed at)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("Must be a JSON integer (minor units).")
        return super().to_internal_value(data)


# The context of the instance that shared fields are bound to: not empty, so that drf-spectacular
# (which fills in an empty one, the root's, when it maps a nested serializer) leaves it alone,
# and read-only, so that no request is ever kept in it.
_SHARED_ROOT_CONTEXT = MappingProxyType({"fields": "shared by every instance"})


# Comments, not docstrings, for the two classes below: drf-spectacular publishes the first
# docstring in a serializer's classes as its description in the OpenAPI schema.
class SharedFields:
    # Fields built and bound once per class, for every instance and thread.
    #
    # DRF deep-copies every declared field for each serializer instance, so that fields may keep
    # state of their own while they work: a tenth of a small request's CPU, spent again for every
    # payment of a list and every event. The fields used here keep none: a field is bound (its
    # name and parent) once, and validating or representing stores nothing on it (errors and
    # validated data are the serializer instance's). What a shared field must not do is read its
    # parent or root, the throwaway instance the fields were built on: no `context` (no validator
    # or default that `requires_context`), no `partial`, no `instance`. A serializer's own
    # `validate_<field>` and `validate` run on the instance, so they may read its context; a
    # nested serializer's run on the shared one, so they may not. test_serializers.py checks
    # every class that shares, and that many threads get DRF's answers.

    @property
    def fields(self):
        cls = type(self)
        shared = cls.__dict__.get("_shared_fields")
        if shared is None:  # racing threads each build an equal copy; any of them will do
            shared = serializers.Serializer.fields.func(cls(context=_SHARED_ROOT_CONTEXT))
            cls._shared_fields = shared
        return shared


class StrictInputSerializer(SharedFields, serializers.Serializer):
    """Rejects fields it does not know, so a misspelt field is an error, not silently lost."""

    # Its fields are shared (SharedFields): never for a partial update (`partial=True`).

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


class NotesField(serializers.DictField):
    """Flat string key/values that become Razorpay notes (at most 15 keys of 256 characters,
    of which the service keeps `reserved` for its own)."""

    def __init__(self, *, reserved: int, **kwargs):
        self.max_keys = 15 - reserved
        super().__init__(child=serializers.CharField(max_length=256, allow_blank=True), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be an object of string values.")
        if len(data) > self.max_keys:
            raise serializers.ValidationError(f"At most {self.max_keys} keys.")
        for key, value in data.items():
            if len(key) > 64:
                raise serializers.ValidationError(f"Key {key[:20]!r}… is over 64 characters.")
            if "\x00" in key:  # values get DRF's own check; PostgreSQL's jsonb refuses NUL
                raise serializers.ValidationError("Keys may not contain null characters.")
            if not isinstance(value, str):
                raise serializers.ValidationError(f"Value of {key!r} must be a string.")
        return super().to_internal_value(data)


class UtcDateTimeField(serializers.DateTimeField):
    """A time as the API shows every time: ISO 8601 in UTC with a `Z`, whatever TIME_ZONE
    the process runs in (DRF's own field looks the current zone up on every value)."""

    def to_representation(self, value):
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return value or None  # as DRF answers text, or nothing


class OutputSerializer(SharedFields, serializers.Serializer):
    # Fields built once per class (SharedFields): its fields and methods read no `context`
    # either. Its representation reads each field's plain attribute source in one C call:
    # reading an attribute through DRF costs four Python calls a field; `to_representation`
    # reads it with `attrgetter` and leaves to DRF's own rules whatever is not a plain value:
    # a missing attribute (defaults, null, skipped fields), a mapping or a callable, a related
    # field. (Comments, not a docstring: see SharedFields.)

    def to_representation(self, instance):
        cls = type(self)
        plan = cls.__dict__.get("_plan")
        if plan is None:
            plan = cls._plan = [_plan(field) for field in self._readable_fields]
        ret = {}
        for field, get, represent in plan:
            if get is None:
                _represent_as_drf(field, instance, ret)
                continue
            try:
                value = get(instance)
            except (AttributeError, KeyError, ObjectDoesNotExist):
                _represent_as_drf(field, instance, ret)
                continue
            if value is None:
                ret[field.field_name] = None
            elif callable(value):  # a method, or a mapping's own attribute: DRF decides
                _represent_as_drf(field, instance, ret)
            else:
                ret[field.field_name] = represent(value)
        return ret


# Fields whose representation is a builtin: called directly, without the field's own frame.
_BUILTIN_REPRESENTATION = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
}


def _plan(field):
    """(field, how to read its value or None for DRF's way, how to represent the value)."""
    if isinstance(field, RelatedField | serializers.ManyRelatedField):
        return field, None, None
    attrs = field.source_attrs
    get = attrgetter(".".join(attrs)) if attrs else _itself
    return (
        field,
        get,
        _BUILTIN_REPRESENTATION.get(type(field).to_representation, field.to_representation),
    )


def _itself(instance):
    return instance


def _represent_as_drf(field, instance, ret: dict) -> None:
    """`Serializer.to_representation`'s own steps, for one field."""
    try:
        attribute = field.get_attribute(instance)
    except SkipField:
        return
    check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    ret[field.field_name] = None if check_for_none is None else field.to_representation(attribute)
