"""Business management (业务管理): drawdowns, approval, contracts, disbursement and repayments.

The services here combine the pure domain (``chalicelib.domain``), the repositories
(``chalicelib.data``) and the adapters (``chalicelib.adapters``); API handlers (``chalicelib.api.loans``)
and state-machine tasks (``functions/tasks/loan_*.py``, ``disbursement_*.py``) call them.
See docs/loans.md for the flow, the state machines and the item shapes.
"""
