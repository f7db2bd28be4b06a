"""The whole HTTP API as one Chalice app: used by the local stack (``make run``), the route-parity
test and the OpenAPI generator. On AWS each route group runs as its own function
(``functions/api/<group>.py``) mounting the same Blueprint.

``configure_logs=False``: Chalice would add a plain-text stdout handler to the stdlib logger named after the app,
``village-credit``, which is also the Powertools Logger's (service ``village-credit``,
:mod:`chalicelib.platform.observability`): every log line of the app then came out twice, plain and JSON."""
from chalice import Chalice

from chalicelib.routes import mount

app = mount(Chalice(app_name="village-credit", configure_logs=False))
