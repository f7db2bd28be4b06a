"""Village credit campaign (整村授信) workflow: the entry points the API and the state machine's tasks
(``functions/tasks/campaign_*.py``) call, one module per step.

The state machine (``statemachines/village_campaign.asl.json``): ``load`` (campaign_start) → Map over batches
of household ids → ``rate_batch`` (campaign_rating; ``record_batch_failure`` on a caught error) → ``evaluate``
(campaign_evaluation) → ``publish_notice`` (campaign_notice) → ``await_confirmation`` (campaign_confirmation,
task token) → ``activate`` (campaign_activation); ``close`` (campaign_close) on timeout (expired) or failure.
Staff cancel a campaign that is not confirmed (campaign_cancel).
The API starts a campaign (campaign_start), confirms it (campaign_confirmation) and hands out the notice
(campaign_notice). Shared write machinery: campaign_tx; the frozen configuration: campaign_config; changes of
ratings and lines after their creation: rating_changes.

Idempotency: the campaign id is ``VC-<village>-<period>``; rating and line ids are derived from it and
the household id; the configuration (parameter documents and village averages) is snapshotted once.
Re-running a campaign therefore finds what an earlier run wrote and converges on the same state:
households already rated are skipped, the notice is regenerated with the same rows, activation only
touches items not yet activated.
"""
from __future__ import annotations

from chalicelib.rating.service.campaign_activation import activate
from chalicelib.rating.service.campaign_cancel import cancel
from chalicelib.rating.service.campaign_close import close, settle_dead_execution
from chalicelib.rating.service.campaign_config import artifact_key, config
from chalicelib.rating.service.campaign_confirmation import await_confirmation, confirm
from chalicelib.rating.service.campaign_evaluation import evaluate
from chalicelib.rating.service.campaign_notice import notice_url, publish_notice
from chalicelib.rating.service.campaign_rating import rate_batch, record_batch_failure
from chalicelib.rating.service.campaign_start import load, start_campaign
from chalicelib.rating.service.campaign_tx import GRADES, SYSTEM_ACTOR, execution_status

__all__ = ["GRADES", "SYSTEM_ACTOR", "activate", "artifact_key", "await_confirmation", "cancel", "close", "config", "confirm", "evaluate",
           "execution_status", "load", "notice_url", "publish_notice", "rate_batch", "record_batch_failure",
           "settle_dead_execution", "start_campaign"]
