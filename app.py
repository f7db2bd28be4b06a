"""The whole HTTP API as one Chalice app: used by the local stack (``make run``), the route-parity
test and the OpenAPI generator. On AWS each route group runs as its own function
(``functions/api/<group>.py``) mounting the same Blueprint."""
from chalice import Chalice

from chalicelib.routes import mount

app = mount(Chalice(app_name="village-credit"))
