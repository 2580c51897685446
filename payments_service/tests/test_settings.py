"""Start-up behaviour that depends on the environment, checked in fresh processes."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "ENVIRONMENT": "production",
    "DJANGO_SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-9f8e7d6c5b4a",
    "DJANGO_ALLOWED_HOSTS": "payments.example.com",
    "DATABASE_URL": "postgresql://payments@db.internal:5432/payments",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "RAZORPAY_LIVE_KEY_ID": "rzp_live_ABCDEFGHIJKLMN",
    "RAZORPAY_LIVE_SECRET_KEY": "live-secret",
    "RAZORPAY_WEBHOOK_SECRET": "webhook-secret",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_its_secrets():
    result = manage("check", ENVIRONMENT="production")
    assert result.returncode != 0
    assert "ENVIRONMENT=production needs these variables" in result.stderr
    for name in ("DJANGO_SECRET_KEY", "RAZORPAY_LIVE_SECRET_KEY", "RAZORPAY_WEBHOOK_SECRET"):
        assert name in result.stderr


def test_production_refuses_the_simulator_as_gateway():
    result = manage("check", **PRODUCTION, RAZORPAY_API_BASE_URL="http://127.0.0.1:9000")
    assert result.returncode != 0
    assert "refuses a non-HTTPS RAZORPAY_API_BASE_URL" in result.stderr
    allowed = manage(
        "check",
        **PRODUCTION,
        RAZORPAY_API_BASE_URL="http://127.0.0.1:9000",
        BENCH_ALLOW_SIMULATOR="true",
    )
    assert allowed.returncode == 0, allowed.stderr


def test_check_deploy_is_clean_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    # Silenced: only django-axes' two, each explained in settings (its middleware runs inside
    # the admin's own; lockout is by account).
    assert "no issues (2 silenced)" in result.stdout
    silenced = manage("shell", "--no-imports", "-c", SILENCED, **PRODUCTION)
    assert silenced.stdout.split() == ["axes.W002", "axes.W006"], silenced.stderr


SILENCED = "from django.conf import settings; print(*settings.SILENCED_SYSTEM_CHECKS)"


def test_two_factor_is_required_in_production_and_off_elsewhere():
    code = "from django.conf import settings; print(settings.STAFF_2FA_REQUIRED)"
    assert manage("shell", "--no-imports", "-c", code, **PRODUCTION).stdout.strip() == "True"
    assert manage("shell", "--no-imports", "-c", code).stdout.strip() == "False"


def test_readiness_names_the_database_when_it_is_unreachable():
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz');"
        "print(r.status_code, r.json()['checks'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "payments_service.settings",
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nowhere",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("503 ")
    assert "'database': 'error: OperationalError'" in result.stdout
    assert "'cache': 'ok'" in result.stdout


def key_in_use(**env: str) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(settings.RAZORPAY_KEY_ID)"
    return manage("shell", "--no-imports", "-c", code, **env)


def test_staging_runs_production_hardening_with_test_keys():
    live = {"RAZORPAY_LIVE_KEY_ID", "RAZORPAY_LIVE_SECRET_KEY"}
    staging = {name: value for name, value in PRODUCTION.items() if name not in live}
    staging.update(
        RAZORPAY_LIVE_MODE="false",
        RAZORPAY_TEST_KEY_ID="rzp_test_STAGING0000000",
        RAZORPAY_TEST_SECRET_KEY="test-secret",
    )

    deploy = manage("check", "--deploy", "--fail-level", "WARNING", **staging)
    used = key_in_use(**staging)

    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert used.stdout.strip() == "rzp_test_STAGING0000000", used.stderr


def test_test_mode_in_production_requires_the_test_keys_not_the_live_ones():
    result = manage("check", **PRODUCTION, RAZORPAY_LIVE_MODE="false")

    assert result.returncode != 0
    assert "RAZORPAY_TEST_KEY_ID" in result.stderr and "RAZORPAY_LIVE" not in result.stderr


def test_live_mode_defaults_to_on_in_production_and_off_elsewhere():
    assert key_in_use(**PRODUCTION).stdout.strip() == "rzp_live_ABCDEFGHIJKLMN"
    development = key_in_use(
        RAZORPAY_TEST_KEY_ID="rzp_test_DEV00000000000", RAZORPAY_LIVE_KEY_ID="rzp_live_NOPE"
    )
    assert development.stdout.strip() == "rzp_test_DEV00000000000"
    live = key_in_use(RAZORPAY_LIVE_MODE="true", RAZORPAY_LIVE_KEY_ID="rzp_live_EXPLICIT0000000")
    assert live.stdout.strip() == "rzp_live_EXPLICIT0000000"
