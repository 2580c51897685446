"""Django's error handlers, answering problem details instead of HTML pages."""

from .problems import problem_response


def bad_request(request, exception=None):
    return problem_response(request, 400)


def permission_denied(request, exception=None):
    return problem_response(request, 403)


def not_found(request, exception=None):
    return problem_response(request, 404, detail="No such resource.")


def server_error(request):
    return problem_response(request, 500, detail="An unexpected error occurred; it was logged.")
