"""The admin's home page: figures for a window per currency, each linked to the filtered list
behind it; charts as inline SVG (no script, no CDN); money totals only for those who may."""

import re
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from backoffice.chores import chore_execute, chores_ensure
from payments.models import Payment, PaymentAttempt, Source
from payments.services import payment_sync
from payments_service.clock import now
from refunds.models import Refund
from webhooks.models import WebhookEvent

pytestmark = pytest.mark.django_db

HOME = "/admin/"


@pytest.fixture
def activity(initiate, razorpay, api):
    """Two paid payments, one declined (insufficient funds), one never paid, a refund, a
    failed webhook event and an old one."""
    paid = []
    for n in range(2):
        body = initiate(key=f"k{n}", externalRef=f"paid-{n}").json()
        handler = razorpay.pay(body["razorpayOrderId"])
        paid.append(APIClient().post("/payments/confirm", handler, format="json").json())
    declined = initiate(key="k-d", externalRef="declined").json()
    razorpay.pay(declined["razorpayOrderId"], outcome="failed", error_reason="insufficient_funds")
    # Razorpay's answer about the attempt, applied as a sync from the admin would.
    payment_sync(payment=Payment.objects.get(pk=declined["id"]), source=Source.ADMIN, actor="t")
    initiate(key="k-o", externalRef="open")
    api.post(
        f"/payments/{paid[0]['id']}/refunds",
        {"amount": 300},
        format="json",
        headers={"Idempotency-Key": "r"},
    )
    WebhookEvent.objects.create(event_id="evt_bad", event_type="x", body="{}", status="failed")
    return paid


def board(client, **query) -> str:
    page = client.get(HOME, query)
    assert page.status_code == 200
    return re.search(r'<div id="dashboard".*?</div>\s*</div>', page.content.decode(), re.S)[0]


def links(html: str) -> dict[str, str]:
    return {
        text: url.replace("&amp;", "&")
        for url, text in re.findall(r'href="([^"]+)">([^<]+)<', html)
    }


def test_finance_sees_the_windows_figures_per_currency(finance, activity):
    html = board(finance)
    row = re.search(r"<tr><td>INR</td>(.*?)</tr>", html, re.S)[1]
    cells = re.findall(r">([^<>]+)</a>|<td[^>]*>([^<>]+)</td>", row)
    shown = [a or b for a, b in cells]
    # payments, paid, volume, success rate, refunds, refunded
    assert shown == ["4", "2", "₹20.00", "66.7%", "1", "₹3.00"], shown
    assert "insufficient_funds: 1" in html
    assert re.search(r"webhook events failed</th><td><a [^>]+>1<", html)


def test_every_number_links_to_its_filtered_list(finance, activity):
    html = board(finance)
    urls = links(html)
    payments = finance.get(urls["4"])
    assert payments.status_code == 200  # a lookup the list refuses redirects to ?e=1
    listed = payments.content.decode()
    assert all(ref in listed for ref in ("paid-0", "paid-1", "declined", "open"))
    declined = finance.get(urls["insufficient_funds: 1"]).content.decode()
    assert "declined" in declined and "paid-0" not in declined
    paid = finance.get(urls["2"]).content.decode()
    assert "paid-0" in paid and "paid-1" in paid and "declined" not in paid
    (refunds_url,) = {url for url in urls.values() if "/refunds/refund/?created_at" in url}
    assert Refund.objects.get().id in finance.get(refunds_url).content.decode()


def test_support_sees_the_page_without_money_unless_the_setting_says(support, activity, settings):
    assert "₹" not in board(support)
    settings.DASHBOARD_MONEY_FOR_SUPPORT = True
    assert "₹20.00" in board(support)


def test_the_window_changes_what_is_counted(finance, activity):
    Payment.objects.filter(external_ref="open").update(created_at=now() - timedelta(days=3))
    assert re.search(r"<tr><td>INR</td>\s*<td><a [^>]+>3<", board(finance, window="24h"))
    assert re.search(r"<tr><td>INR</td>\s*<td><a [^>]+>4<", board(finance, window="7d"))


def test_charts_are_inline_svg_with_no_script_and_nothing_fetched(finance, activity):
    html = board(finance, window="30d")
    assert html.count("<svg") >= 3
    assert "<script" not in html
    fetched = set(re.findall(r'(?:src|href)="(https?://[^"]+)"', html))
    assert fetched == set()


def test_the_latest_report_and_the_chores_are_on_the_page(finance, activity):
    chores_ensure()
    chore_execute(name="reconcile")
    html = board(finance)
    assert "mismatch(es)" in html and "reconcile</a>: ok" in html


def test_the_webhook_lag_p95_is_read_from_stored_lags(finance, activity):
    for n, lag in enumerate([100] * 18 + [30_000] * 2):  # 95% of them within 30 s
        WebhookEvent.objects.create(event_id=f"evt_{n}", event_type="x", body="{}", lag_ms=lag)
    assert "webhook lag, p95</th><td>30.0 s" in board(finance)
    assert PaymentAttempt.objects.filter(status="failed").count() == 1
