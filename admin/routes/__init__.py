"""Pages of the admin web, one module per resource; each exposes `router` (see admin.ROUTE_MODULES)."""
