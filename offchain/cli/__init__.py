"""What every ``ape run`` command shares: one-line errors, progress bars, parsing what users type."""
