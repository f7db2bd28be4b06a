"""Test data of the loans context: loan accounts in states no use case reaches, made with the loan's own model."""
from __future__ import annotations


def loan_missing(loan_id: str, attribute: str) -> None:
    """The stored loan ``loan_id`` loses ``attribute`` (e.g. ``next_due_amount``): a malformed item, as a faulty
    migration or a hand edit would leave it, for readers that must skip it. Made with the loan's own model (an
    update of the version read, which it increments)."""
    from chalicelib.loans.data.loan_models import Loan

    loan = Loan.get(*Loan.key(loan_id), consistent_read=True)
    loan.update(actions=[getattr(Loan, attribute).remove()])
