"""The card ledger: what every version and status change is hashed over, signed checkpoints of
each card's history, and the checks that find the first record that was tampered with."""
