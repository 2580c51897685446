"""Serializer pieces shared by every endpoint: strict JSON integers and no unknown fields in,
fields built once per class out."""

from rest_framework import serializers


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only: no strings, floats or booleans (money is never guessed at)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            raise serializers.ValidationError("Must be a JSON integer (minor units).")
        return super().to_internal_value(data)


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields it does not know, so a misspelt field is an error, not silently lost."""

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


class OutputSerializer(serializers.Serializer):
    """An output serializer whose fields are built and bound once per class.

    DRF deep-copies every declared field for each serializer instance, so that fields may keep
    state of their own while they validate: a tenth of a small request's CPU, spent again for
    every payment of a list and every event. Fields that only represent keep no such state,
    so one bound copy serves every instance and thread. Hence only for output, and only for
    serializers whose fields and methods read nothing of the instance (no `context`).
    """

    @property
    def fields(self):
        cls = type(self)
        shared = cls.__dict__.get("_shared_fields")
        if shared is None:  # racing threads each build an equal copy; any of them will do
            shared = serializers.Serializer.fields.func(cls())
            cls._shared_fields = shared
        return shared
