"""The console's face for machines and browsers: the REST API under ``/api/v1`` and the
web UI's pages, in one ASGI application (FastAPI).

A thin adapter over the services, as the command line is: ``app.create_app``
assembles the routers (one module a resource), the security dependencies
(``security``: session cookie with CSRF token, or ``Authorization: Bearer``
API token; each route names the least role it needs), the audit of every
state-changing request, and the UI's files from ``otm.web`` (served from the
package: nothing is fetched from elsewhere).  ``otm serve`` runs it.
"""
