"""The admin's own middleware: every other path (the API, webhooks, probes) passes straight
through and pays nothing for it."""

from axes.middleware import AxesMiddleware
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.middleware import OTPMiddleware

from .two_factor import has_device, two_factor_required

# What a staff member who must enrol a second factor may still reach under /admin/.
_OPEN_NAMES = ("admin:two_factor_enrol", "admin:logout", "admin:login", "admin:jsi18n")


class StaffAdminMiddleware:
    """Under /admin/: django-otp marks whether the session was verified by a second factor;
    with STAFF_2FA_REQUIRED, staff who can move money and are not verified reach only the
    enrolment page (or must sign in again with their code); django-axes answers a locked-out
    sign-in with its lockout page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_chain = OTPMiddleware(AxesMiddleware(self._require_second_factor))
        self._prefix = None
        self._open = None

    def __call__(self, request):
        if self._prefix is None:
            self._prefix = reverse("admin:index")
            self._open = {reverse(name) for name in _OPEN_NAMES}
        if not request.path_info.startswith(self._prefix):
            return self.get_response(request)
        return self.admin_chain(request)

    def _require_second_factor(self, request):
        user = request.user
        if (
            user.is_authenticated
            and request.path_info not in self._open
            and not user.is_verified()
            and two_factor_required(user)
        ):
            if has_device(user):  # a session from before its enrolment: sign in with the code
                logout(request)
                return redirect(f"{reverse('admin:login')}?next={request.path}")
            return redirect(reverse("admin:two_factor_enrol"))
        return self.get_response(request)
