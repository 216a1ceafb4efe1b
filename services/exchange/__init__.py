"""Exchange port and its adapters: ccxt (live) and paper (simulated fills)."""
