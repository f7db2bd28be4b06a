"""API function for the loans route group (products, drawdowns, approval inbox, contracts, loans, repayments)."""
from chalice import Chalice

from chalicelib.routes import mount

app = mount(Chalice(app_name="village-credit-loans"), "loans")
