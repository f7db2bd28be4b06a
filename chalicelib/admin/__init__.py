"""The admin context: the organisation tree and the villages each organisation serves, the parameter and audit
APIs, the runner of the daily jobs, and the public routes (/health, /docs, /openapi.json, /me).

Other contexts use it only through :mod:`chalicelib.admin.public`."""
