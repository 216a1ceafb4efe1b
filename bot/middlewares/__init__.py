"""The middleware chain: context+metrics → inbox → auth → rate limit (outer), RBAC (inner)."""
