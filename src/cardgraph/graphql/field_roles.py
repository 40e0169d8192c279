"""The role each root field needs, checked before its arguments are (authorise, then validate).

Services check again, with the finer rules (only approvers approve); this table is the floor.
A root field missing here stops the schema from being built.
"""

from __future__ import annotations

from types import MappingProxyType

from cardgraph.principals import Role

MINIMUM_ROLES = MappingProxyType(
    {
        # queries
        "card": Role.READER,
        "cards": Role.READER,
        "job": Role.READER,
        "jobs": Role.READER,
        "model_package": Role.READER,
        "model_packages": Role.READER,
        "audit_events": Role.APPROVER,
        "verify_card": Role.READER,
        "signing_key": Role.READER,
        "retired_signing_keys": Role.READER,
        "version_diff": Role.READER,
        "api_keys": Role.ADMIN,
        "viewer": Role.READER,
        # mutations
        "create_card": Role.EDITOR,
        "update_card_content": Role.EDITOR,
        "set_card_status": Role.EDITOR,
        "update_card": Role.EDITOR,
        "delete_card": Role.ADMIN,
        "cancel_job": Role.EDITOR,
        "export_card_pdf": Role.EDITOR,
        "export_cards": Role.EDITOR,
        "ingest_metrics": Role.EDITOR,
        "ingest_metrics_file": Role.EDITOR,
        "autopopulate_card": Role.EDITOR,
        "link_model_package": Role.EDITOR,
        "sync_model_packages": Role.EDITOR,
        "create_api_key": Role.ADMIN,
        "revoke_api_key": Role.ADMIN,
        # subscriptions
        "job_progress": Role.READER,
        "card_events": Role.READER,
    }
)
