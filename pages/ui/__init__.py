"""What every page shares (not pages themselves: Streamlit ignores sub-folders of ``pages/``).

- :mod:`pages.ui.shell` — page config, the navigation and the shared sidebar filters (bound to the URL).
- :mod:`pages.ui.loaders` — the one engine and typed, cached loaders around library calls.
- :mod:`pages.ui.widgets` — small drawing helpers: CSV download, empty state.
"""
