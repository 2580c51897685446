from django import template
from django.conf import settings

from backoffice.dashboard import WINDOWS, dashboard_build

register = template.Library()


@register.inclusion_tag("backoffice/dashboard.html", takes_context=True)
def dashboard(context):
    """The admin home page's figures for the window the page asks for (`?window=7d`)."""
    request = context["request"]
    if not request.user.has_perm("payments.view_payment"):
        return {"board": None}
    window = request.GET.get("window")
    window = window if window in WINDOWS else "24h"
    show_money = request.user.has_perm("payments.refund_payment") or (
        settings.DASHBOARD_MONEY_FOR_SUPPORT
    )
    return {
        "board": dashboard_build(window=window, show_money=show_money),
        "windows": list(WINDOWS),
        "show_money": show_money,
    }
