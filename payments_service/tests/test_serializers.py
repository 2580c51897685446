from datetime import UTC, datetime
from types import SimpleNamespace

from rest_framework import serializers

from payments_service.serializers import OutputSerializer


class Plain(serializers.Serializer):
    id = serializers.CharField()
    amountRefunded = serializers.IntegerField(source="amount_refunded")
    createdAt = serializers.DateTimeField(source="created_at")
    notes = serializers.DictField(child=serializers.CharField())
    label = serializers.SerializerMethodField()

    def get_label(self, obj) -> str:
        return f"{obj.id}:{obj.amount_refunded}"


class Shared(OutputSerializer, Plain):
    pass


def _thing(n: int):
    at = datetime(2026, 12, 1, 10, n, tzinfo=UTC)
    return SimpleNamespace(id=f"pmt_{n}", amount_refunded=n * 100, created_at=at, notes={"n": n})


def test_output_serializer_answers_what_drf_answers_for_every_object():
    things = [_thing(n) for n in range(5)]
    assert [Shared(t).data for t in things] == [Plain(t).data for t in things]
    assert Shared(things, many=True).data == Plain(things, many=True).data
    assert Shared(things[3]).data["label"] == "pmt_3:300"


def test_output_serializer_builds_its_fields_once_per_class():
    assert Shared().fields is Shared(_thing(1)).fields
    assert Plain().fields is not Plain().fields
