"""The admin's displays for its templates, as its Python pages show them: `when` (a time),
and `id_link` (an id as a link)."""

from django import template

from payments_service.admin import id_link as _id_link
from payments_service.admin import when as _when

register = template.Library()
register.filter("when", _when)
register.filter("id_link", _id_link)
