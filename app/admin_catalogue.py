"""Administration screens (being built)."""

# Role name → [(permission, view or menu name)] this module's screens need;
# app.roles merges them into the seeded roles.
PERMISSIONS: dict[str, list[tuple[str, str]]] = {}


def register(appbuilder) -> None:
    """Add this module's views to `appbuilder`."""
