"""The loans context: products and pricing, drawdowns and their approval, contracts, disbursement, loan accounts,
repayments and reconciliation.

Other contexts use it only through :mod:`chalicelib.loans.public`."""
