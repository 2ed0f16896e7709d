"""Errors as short plain answers: no stack trace or HTML error page reaches anyone."""

from flask import request
from werkzeug.exceptions import HTTPException


def register(app):
    @app.errorhandler(HTTPException)
    def http_error(error):
        return _plain(f"{error.code} {error.name}", error.code)

    @app.errorhandler(Exception)
    def unexpected(error):
        app.logger.exception("unhandled error on %s", request.path)
        return _plain("500 server error", 500)


def _plain(text, status):
    return text, status, {"Content-Type": "text/plain; charset=utf-8"}
