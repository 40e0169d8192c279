"""`cardgraph verify` (offline, needs only the public key) and `cardgraph migrate-ledger`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from cardgraph.ledger.bundle import BundleError, verify_bundle
from cardgraph.ledger.check import LedgerResult
from cardgraph.ledger.signing import Checkpoint, KeyFormatError, PublicKey
from cardgraph.settings import Settings

# Exit codes CI can tell apart.
VALID, INVALID, UNUSABLE = 0, 1, 2


def add_commands(commands: Any) -> None:
    """Add `verify` and `migrate-ledger` to the `cardgraph` parser's subcommands."""
    verify = commands.add_parser(
        "verify",
        help="check an exported card history offline (HISTORY export: a JSON bundle or a zip)",
    )
    verify.add_argument("bundle", type=Path, help="a *-history.json bundle, or a zip of them")
    verify.add_argument(
        "--public-key",
        required=True,
        action="append",
        help="the service's public key: base64, or a file holding it (base64 or PEM); "
        "the signingKey query prints it. Repeat it for keys rotated out "
        "(retiredSigningKeys)",
    )
    verify.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        default=[],
        help="a checkpoint kept earlier (JSON): the history it covers must be unchanged",
    )
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    commands.add_parser(
        "migrate-ledger",
        help="bring versions and events written before the ledger scheme into it (once)",
    )


def run_verify(args: argparse.Namespace) -> int:
    """Verify each bundle; print what was found; 0 valid, 1 invalid, 2 unusable input."""
    try:
        keys = [_public_key(value) for value in args.public_key]
        kept = [
            (f"checkpoint {path.name}", Checkpoint.from_json(json.loads(path.read_text())))
            for path in args.checkpoint
        ]
        bundles = list(_bundles(args.bundle))
        results = [
            (name, _card_of(bundle), verify_bundle(bundle, keys, _kept_for(bundle, kept)))
            for name, bundle in bundles
        ]
    except (OSError, ValueError, TypeError, zipfile.BadZipFile) as error:  # BundleError too
        print(f"cardgraph verify: {error}", file=sys.stderr)
        return UNUSABLE
    exported = {card.get("id") for _, card, _ in results}
    unmatched = [name for name, checkpoint in kept if checkpoint.card_id not in exported]
    if args.json:
        shown = [_as_json(name, card, result) for name, card, result in results]
        print(json.dumps({"bundles": shown, "unmatchedCheckpoints": unmatched}, indent=2))
    else:
        for name, card, result in results:
            _print(name, card, result)
        for name in unmatched:
            print(f"{name}: is a checkpoint of no card in {args.bundle.name}")
    if unmatched or not all(result.valid for _, _, result in results):
        return INVALID
    return VALID


def _card_of(bundle: Any) -> dict[str, Any]:
    card = bundle.get("card") if isinstance(bundle, dict) else None
    return card if isinstance(card, dict) else {}


def _kept_for(bundle: Any, kept: list[tuple[str, Checkpoint]]) -> list[tuple[str, Checkpoint]]:
    """The kept checkpoints of this bundle's card (a zip holds several cards)."""
    card_id = _card_of(bundle).get("id")
    return [(name, checkpoint) for name, checkpoint in kept if checkpoint.card_id == card_id]


def _public_key(value: str) -> PublicKey:
    path = Path(value)
    try:
        text = path.read_text() if path.is_file() else value
    except OSError:
        text = value
    try:
        return PublicKey.from_text(text)
    except KeyFormatError as error:
        raise KeyFormatError(f"--public-key: {error}") from None


def _bundles(path: Path) -> list[tuple[str, Any]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.endswith("-history.json")]
            if not names:
                raise BundleError(f"{path}: the zip holds no *-history.json bundle")
            return [(n, json.loads(archive.read(n))) for n in sorted(names)]
    return [(path.name, json.loads(path.read_bytes()))]


def _as_json(name: str, card: dict[str, Any], result: LedgerResult) -> dict[str, Any]:
    return {
        "bundle": name,
        "card": {"id": card.get("id"), "name": card.get("name")},
        "valid": result.valid,
        "versions": result.versions,
        "events": result.events,
        "checkpoints": result.checkpoints_checked,
        "findings": [
            {"record": f.record, "reason": f.reason, "version": f.version} for f in result.findings
        ],
    }


def _print(name: str, card: dict[str, Any], result: LedgerResult) -> None:
    verdict = "VALID" if result.valid else "INVALID"
    print(
        f"{name}: {verdict} — card {card.get('name')!r} (id {card.get('id')}), "
        f"{result.versions} version(s), {result.events} audit event(s), "
        f"{result.checkpoints_checked} signed checkpoint(s) checked"
    )
    for finding in result.findings:
        print(f"  {finding.record}: {finding.reason}")


def run_migrate_ledger(settings: Settings) -> int:
    """Migrate every card that needs it and say what was done."""
    for migrated in asyncio.run(migrate_ledger(settings)):
        if migrated.refused is not None:
            print(f"{migrated.card_name}: not migrated: {migrated.refused} (run verifyCard)")
            continue
        note = (
            "its old chain was intact"
            if migrated.legacy_first_invalid is None
            else f"its old chain was already broken at version {migrated.legacy_first_invalid}"
        )
        print(f"{migrated.card_name}: {migrated.versions} version(s) migrated; {note}")
    return 0


async def migrate_ledger(settings: Settings) -> list[Any]:
    """Run the ledger migration against the configured database."""
    from cardgraph.services import build_services
    from cardgraph.storage.mongo import create_async_client, ensure_indexes

    client = create_async_client(settings)
    try:
        db = client[settings.mongodb_database]
        await ensure_indexes(db)
        return await build_services(settings, client, None).ledger_migration.run()
    finally:
        await client.close()
