"""Check kinds that belong to one assignment (importing a module registers its kinds)."""
