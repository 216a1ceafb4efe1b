"""One repository per aggregate. Repositories never commit: the service owns the transaction."""
