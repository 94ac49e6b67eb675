"""Pages by audience: each module holds one room's routes (a mixin of WebService)."""
