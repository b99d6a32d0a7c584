"""salesops: the sales-operations cockpit's core library (no Streamlit in here).

The short public API; see the modules for the rest.
"""

from salesops.errors import SalesopsError, StoreError
from salesops.scope import GRAINS, Scope
from salesops.store.engine import data_version, last_updated, open_store, write

__all__ = ["GRAINS", "SalesopsError", "Scope", "StoreError", "data_version", "last_updated", "open_store", "write"]
